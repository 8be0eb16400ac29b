/**
 * ajv validators for the data module's bodies and queries (schema/data-*.schema.json). Query
 * values arrive as strings: their validators coerce numbers, in an ajv instance of their own so
 * bodies are never coerced.
 */
import type { ValidateFunction } from 'ajv';
import { createAjv, lazyValidator } from '../schemas';
import objectQuerySchema from '../../../schema/data-object-query.schema.json';
import objectsQuerySchema from '../../../schema/data-objects-query.schema.json';
import presignRequestSchema from '../../../schema/data-presign-request.schema.json';
import stageRequestSchema from '../../../schema/data-stage-request.schema.json';
import uploadCompleteSchema from '../../../schema/data-upload-complete-request.schema.json';
import uploadCreateSchema from '../../../schema/data-upload-create-request.schema.json';
import uploadPartsSchema from '../../../schema/data-upload-parts-request.schema.json';
import type {
  DataObjectQuery,
  DataObjectsQuery,
  DataPresignRequest,
  DataStageRequest,
  DataUploadCompleteRequest,
  DataUploadCreateRequest,
  DataUploadPartsRequest
} from '../schema-types';

const bodies = createAjv();
const queries = createAjv({ coerceTypes: true, useDefaults: true });

/** One validator per body and query. */
export const dataValidators = {
  objectsQuery: lazyValidator(
    () =>
      queries.compile<DataObjectsQuery>(
        objectsQuerySchema
      ) as ValidateFunction<DataObjectsQuery>
  ),
  objectQuery: lazyValidator(
    () =>
      queries.compile<DataObjectQuery>(
        objectQuerySchema
      ) as ValidateFunction<DataObjectQuery>
  ),
  presignRequest: lazyValidator(() =>
    bodies.compile<DataPresignRequest>(presignRequestSchema)
  ),
  uploadCreate: lazyValidator(() =>
    bodies.compile<DataUploadCreateRequest>(uploadCreateSchema)
  ),
  uploadParts: lazyValidator(() =>
    bodies.compile<DataUploadPartsRequest>(uploadPartsSchema)
  ),
  uploadComplete: lazyValidator(() =>
    bodies.compile<DataUploadCompleteRequest>(uploadCompleteSchema)
  ),
  stageRequest: lazyValidator(() =>
    bodies.compile<DataStageRequest>(stageRequestSchema)
  )
};
