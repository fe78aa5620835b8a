export * from './correlator';
export * from './playbook';
export * from './rule-stats';
export * from './incident';
