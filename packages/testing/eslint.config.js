import base from '@pubcrawl/eslint-config';

// This package is where the environment is read (config parsing / test service discovery).
export default [...base, { files: ['src/**/*.ts'], rules: { 'no-restricted-properties': 'off' } }];
