/** The one DataConverter every Vigil Client and Worker uses (msgpack payloads). */
import type { DataConverter } from '@temporalio/common';
import { compiledPath } from '../project-root';

export const dataConverter: DataConverter = {
  payloadConverterPath: compiledPath('src/temporal/payload-converter'),
};
