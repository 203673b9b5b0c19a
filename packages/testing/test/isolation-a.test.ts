import { describeIsolation } from './isolation-scenario';

// Runs in parallel with its twin file; see isolation-scenario.ts.
describeIsolation('file-a');
