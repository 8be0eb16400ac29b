import { Token } from '@lumino/coreutils';
import type { DataModel } from './model';

/**
 * The data-access model: the Data panel's state (endpoints, the bucket being browsed, uploads,
 * the cache, mounts). There is one per page.
 */
export type IDataModel = DataModel;

/**
 * The data-access model token.
 */
export const IDataModel = new Token<IDataModel>(
  '@mlinfn/data:IDataModel',
  'The Data panel: storage endpoints, listings, pre-signed links, uploads, the local cache and mounts.'
);
