export { playbookWorkflow } from './playbook';
export * from './messages';
