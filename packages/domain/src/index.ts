export * from './states';
export * from './jobs';
export * from './crawl-transitions';
export * from './creator-settings';
