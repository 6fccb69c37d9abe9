import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { SCHEMAS_DIR } from '../paths.js';

/**
 * An Avro type from a schema file in schemas/. Logical types are left as plain longs, so
 * timestamps stay epoch-ms numbers end to end.
 */
export function loadAvroSchema(file: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(readFileSync(join(SCHEMAS_DIR, file), 'utf8')) as avro.Schema);
}
