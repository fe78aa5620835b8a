/**
 * Which failures of a hand-off to Temporal are outages (retried for as long as they last, never
 * dead-lettered) and which are about the request (counted, then dead-lettered). The server refusing
 * this request answers INVALID_ARGUMENT, FAILED_PRECONDITION or OUT_OF_RANGE (a workflow id over a cluster's limit,
 * a payload over the blob limit, a correlator run over its signal limit). Every other gRPC status
 * (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, PERMISSION_DENIED, NOT_FOUND namespace...) is
 * the service or its configuration and hits every message alike. An error with no gRPC status at all
 * is thrown by our own code on this request's data, so it is about the request too.
 */
import { isGrpcServiceError } from '@temporalio/client';

/** gRPC status codes (grpc/status.proto) that reject the request itself. */
const REQUEST_REJECTED = new Set([3 /* INVALID_ARGUMENT */, 9 /* FAILED_PRECONDITION */, 11 /* OUT_OF_RANGE */]);

export function isTemporalOutage(err: unknown): boolean {
  // The client wraps the gRPC error (ServiceError { cause }); look down the cause chain.
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (isGrpcServiceError(e)) return !REQUEST_REJECTED.has(e.code);
  }
  return false;
}
