// Sealed records in both formats open in the browser as in Python (shared/sealed.py);
// the two records below were sealed by Python. Run by tests/shared/test_js_policy.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { openRecord } from "../../server/static/scan/js/sealed.js";

const CODE = "ADM17777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777";
const V1 = "LUt035t+064w4CBcHOa7++w0inTPYnJrmOg7VXSm36Y7xZa4yawDdFiUaUe7CqAEQm+o5V+aT/fBPxrmf2Q88h5deL19rV+CZvezQvoRaQVSvuLw5S4v/pYPIXJVcQ==";
const V2 = "2:KBEm9VdYE063vIJq+G5CvPb6YtgCEJ60ZPev303F8MxUHC0L1exRHJLGRf92VT2nbvJ2u6RDzIRySVowV947GRZE3Lho7sFn";
const FIELDS = { name: "李娜", organization: "Acme", access_level: "VIP Guest" };
const { subtle } = globalThis.crypto;

test("format 2 opens, absent fields stay absent", async () => {
  assert.deepEqual(await openRecord(subtle, CODE, V2), FIELDS);
});

test("format 1 records sealed before format 2 still open", async () => {
  assert.deepEqual(await openRecord(subtle, CODE, V1), FIELDS);
});

test("another code opens neither", async () => {
  const other = "ADM1" + "8".repeat(118);
  assert.equal(await openRecord(subtle, other, V1), null);
  assert.equal(await openRecord(subtle, other, V2), null);
});
