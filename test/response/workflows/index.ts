export * from '../../../workflows/playbook';
export { correlatorStandIn } from './correlator-stand-in';
