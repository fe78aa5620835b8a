export * from './correlator';
