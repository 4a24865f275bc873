'use strict';
// Validates a JSON file against a JSON Schema (draft 2020-12) with ajv, an implementation
// independent of BTM's own reader. Usage: node validate-schema.js <schema.json> <instance.json>
const fs = require('fs');
const path = require('path');
const Ajv2020 = require(path.join(__dirname, '../../node_modules/ajv/dist/2020')).default;

const [schemaPath, instancePath] = process.argv.slice(2);
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
if (validate(JSON.parse(fs.readFileSync(instancePath, 'utf8')))) {
  console.log(`${instancePath}: valid`);
} else {
  for (const e of validate.errors) console.error(`${instancePath}: ${e.instancePath || '/'} ${e.message}`);
  process.exit(1);
}
