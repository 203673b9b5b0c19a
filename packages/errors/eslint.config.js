import base from '@pubcrawl/eslint-config';

export default [...base];
