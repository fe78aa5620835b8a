export * from './alert-policy';
export * from './correlate';
export * from './fields-needed';
export * from './hit';
export * from './offline';
export * from './options';
export * from './state';
