export { default } from '@pubcrawl/eslint-config';
