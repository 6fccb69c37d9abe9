import type { StateUpdate } from '../online-store.js';
import { POSITION_FIELD_PREFIX } from './hash-layout.js';

/**
 * The Lua script behind `applyBatch`: one EVALSHA per batch, however many keys it touches,
 * because a round trip per key is what limits a Redis client (STACK_NOTES). Redis runs a
 * script alone, so no other writer sees a batch half applied.
 *
 * KEYS: the distinct storage keys of the batch. ARGV[1]: JSON [ttls, fields, updates]:
 * ttls[i] is the TTL in ms of KEYS[i], fields the distinct field names of the batch, and each
 * update is [key index, partition, offset, add, min, max] (indexes 1-based), the last three
 * flat lists of field index, value, field index, value... Naming each field once per batch
 * and sending numbers, not strings, cuts what cjson must decode to about a quarter (a batch
 * of 256 baseline updates: 130 kB instead of 490 kB). Numbers stay exact end to end:
 * JSON.stringify writes the shortest round-trip form, cjson parses it with strtod, and Redis
 * 7.0 turns a Lua number argument into text with 17 significant digits (never with Lua's
 * 14); redis-online-store.test.ts checks the bits against the memory store.
 *
 * Steps:
 * 1. Read: each key's hash is loaded once (HGETALL), at its first update.
 * 2. Fold, in memory, per update in order: skip it unless its offset is newer than the key's
 *    `@p:<partition>`; else add the `add` values, keep the smaller/larger of the `min`/`max`
 *    values, and record the offset. The arithmetic is the memory store's (sequential double
 *    additions), so both stores hold the same bits.
 * 3. Write: one HSET of the changed fields and a PEXPIRE per changed key.
 * Returns the number of updates applied.
 *
 * Every failure (a key that is not a hash, a field that does not hold a number) happens in
 * steps 1-2, before anything is written, so a failed batch leaves Redis as it was. Folding
 * in Lua instead of calling HINCRBYFLOAT per field also saves time: that command costs ~2 us
 * and a batch of 256 baseline updates would make 15k of them.
 */
export const APPLY_BATCH_LUA = `
local batch = cjson.decode(ARGV[1])
local ttls, names, updates = batch[1], batch[2], batch[3]
local states = {}

local function load(k)
  local s = states[k]
  if s then return s end
  local flat = redis.call('HGETALL', KEYS[k])
  s = { values = {}, dirty = {}, changed = false }
  for j = 1, #flat, 2 do s.values[flat[j]] = flat[j + 1] end
  states[k] = s
  return s
end

local function current(s, k, field)
  local v = s.values[field]
  if v == nil or type(v) == 'number' then return v end
  local n = tonumber(v)
  if n == nil then
    error('applyBatch: field ' .. field .. ' of ' .. KEYS[k] .. ' holds ' .. v .. ', not a number')
  end
  s.values[field] = n
  return n
end

local applied = 0
for _, u in ipairs(updates) do
  local k = u[1]
  local s = load(k)
  local positionField = '${POSITION_FIELD_PREFIX}' .. u[2]
  local last = current(s, k, positionField)
  if last == nil or u[3] > last then
    local add, low, high = u[4], u[5], u[6]
    for j = 1, #add, 2 do
      local field = names[add[j]]
      s.values[field] = (current(s, k, field) or 0) + add[j + 1]
      s.dirty[field] = true
    end
    for j = 1, #low, 2 do
      local field, x = names[low[j]], low[j + 1]
      local c = current(s, k, field)
      if c == nil or x < c then s.values[field] = x; s.dirty[field] = true end
    end
    for j = 1, #high, 2 do
      local field, x = names[high[j]], high[j + 1]
      local c = current(s, k, field)
      if c == nil or x > c then s.values[field] = x; s.dirty[field] = true end
    end
    s.values[positionField] = u[3]
    s.dirty[positionField] = true
    s.changed = true
    applied = applied + 1
  end
end

for k, s in pairs(states) do
  if s.changed then
    local args = {}
    for field in pairs(s.dirty) do
      args[#args + 1] = field
      args[#args + 1] = s.values[field]
      -- unpack() is limited to a few thousand values: write long hashes in slices.
      if #args >= 1000 then redis.call('HSET', KEYS[k], unpack(args)); args = {} end
    end
    if #args > 0 then redis.call('HSET', KEYS[k], unpack(args)) end
    redis.call('PEXPIRE', KEYS[k], ttls[k])
  end
end
return applied
`;

export interface ApplyBatchCall {
  readonly keys: string[];
  readonly arg: string;
}

/** The KEYS and ARGV[1] of one script call; `storageKeys[i]` and `ttls[i]` belong to `updates[i]`. */
export function encodeApplyBatch(
  updates: readonly StateUpdate[],
  storageKeys: readonly string[],
  ttls: readonly number[],
): ApplyBatchCall {
  const keyIndex = new Map<string, number>();
  const keys: string[] = [];
  const keyTtls: number[] = [];
  const fieldIndex = new Map<string, number>();
  const fields: string[] = [];
  const pairs = (values: Readonly<Record<string, number>> | undefined): number[] => {
    const flat: number[] = [];
    if (values === undefined) return flat;
    for (const name in values) {
      let index = fieldIndex.get(name);
      if (index === undefined) {
        fields.push(name);
        index = fields.length;
        fieldIndex.set(name, index);
      }
      flat.push(index, values[name]!);
    }
    return flat;
  };
  const encoded = updates.map((u, i) => {
    const key = storageKeys[i]!;
    let index = keyIndex.get(key);
    if (index === undefined) {
      keys.push(key);
      keyTtls.push(ttls[i]!);
      index = keys.length;
      keyIndex.set(key, index);
    }
    return [index, u.position.partition, u.position.offset, pairs(u.fold.add), pairs(u.fold.min), pairs(u.fold.max)];
  });
  return { keys, arg: JSON.stringify([keyTtls, fields, encoded]) };
}
