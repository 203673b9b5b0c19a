import { toError, UpstreamError } from '../src/index';

/** The UpstreamError a call fails with; anything else (or success) fails the test. */
export async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (e) {
    const error = toError(e);
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}
