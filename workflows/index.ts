export * from './correlator';
export * from './playbook';
export * from './incident';
