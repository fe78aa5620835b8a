export { playbookWorkflow } from './playbook';
