export * from './collector-metrics';
export * from './ingest-metrics';
export * from './metrics-server';
export * from './mirrored';
export * from './process-registry';
