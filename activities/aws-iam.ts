/**
 * The IAM client actions use (@aws-sdk/client-iam). Credentials are either static (VIGIL_AWS_ACCESS_KEY_ID
 * …) or the SDK's default chain from @aws-sdk/credential-providers: environment, web identity (EKS IRSA,
 * refreshed before expiry), SSO and shared profiles, ECS container and EC2 instance roles. The SDK's own
 * retries are off: Temporal retries the activity, so every attempt is visible in history. IAM reports
 * throttling as HTTP 400 `Throttling`, so the error code decides retryability, not only the status.
 */
import type { IAM } from '@aws-sdk/client-iam';
import { ApplicationFailure } from '@temporalio/common';
import type { ActionClient } from '../src/response/actions/action';
import { notConfigured } from './http-call';

export interface AwsIamSettings {
  /** IAM is global; requests are signed for this region (us-east-1 in the aws partition). */
  region: string;
  /** Overrides the SDK's endpoint for the region (tests point it at a fake speaking the IAM query API). */
  endpoint?: string;
  /** Static credentials; absent: the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

const retryableCodes = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'ServiceFailure', 'ServiceUnavailable', 'InternalFailure']);

interface SdkError extends Error {
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
  Code?: string;
}

/** The IAM error code as the API sent it (`NoSuchEntity`); modeled errors carry it in `Code`, others in `name`. */
const errorCode = (err: SdkError): string => err.Code ?? err.name;

function classify(err: SdkError, what: string): Error {
  if (err.name === 'CredentialsProviderError') return notConfigured(`AWS credentials for IAM ${what}: ${err.message}`);
  const status = err.$metadata?.httpStatusCode;
  if (status === undefined) return ApplicationFailure.retryable(`IAM ${what}: ${err.message}`, 'HttpUnreachable');
  const code = errorCode(err);
  const message = `IAM ${what} → HTTP ${status} ${code}: ${err.message}`;
  if (status >= 500 || retryableCodes.has(code)) return ApplicationFailure.retryable(message, 'AwsUnavailable');
  return ApplicationFailure.nonRetryable(message, 'VGL_ACTION_REJECTED');
}

/**
 * One client per worker: the credential provider caches and refreshes what it resolves. The SDK is
 * loaded on first use (as the Kubernetes client is), so CLI commands that never act do not pay for it.
 */
export function iamClient(settings: AwsIamSettings): ActionClient<IAM, string> {
  const { IAM: Client } = require('@aws-sdk/client-iam') as typeof import('@aws-sdk/client-iam');
  const { fromNodeProviderChain } = require('@aws-sdk/credential-providers') as typeof import('@aws-sdk/credential-providers');
  const iam = new Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    credentials: settings.credentials ?? fromNodeProviderChain(),
    maxAttempts: 1,
  });
  return {
    async call(what, fn, accept = []) {
      try {
        return await fn(iam);
      } catch (err) {
        if (err instanceof Error && accept.includes(errorCode(err as SdkError))) return undefined;
        throw classify(err as SdkError, what);
      }
    },
  };
}
