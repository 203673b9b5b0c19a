import base, { appRules } from '@pubcrawl/eslint-config';

export default [...base, ...appRules];
