export * from './rule-stats';
