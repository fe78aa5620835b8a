export * from './attack-catalog';
export * from './coverage';
export * from './coverage-markdown';
export * from './navigator-layer';
