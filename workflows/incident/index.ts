export { incidentWorkflow } from './incident';
export { incidentRouterWorkflow } from './router';
