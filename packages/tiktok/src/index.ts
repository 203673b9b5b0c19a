export * from './errors';
export * from './scope';
export * from './http';
export * from './tikapi-schemas';
export * from './tikapi-client';
export * from './posting-schemas';
export * from './posting-client';
export * from './quota';
