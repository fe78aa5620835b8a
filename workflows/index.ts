export * from './correlator';
export * from './playbook';
