-- payseal replay window check-and-record (spec/replay-stores.md §4), run with EVALSHA for a
-- batch of numbers, decided one after the other exactly as one call each would decide them.
--
-- KEYS[i]  item i's window: 8 bytes `top` (big-endian), then W/8 bytes of ring in which
--          bit (s mod W) -- byte (s mod W) / 8, bit (s mod W) % 8, least significant first --
--          is set when s in top-W+1 .. top was accepted (the same bytes as window.rs).
-- ARGV[1]  W, the window width: a multiple of 64, at most 65536
-- ARGV[3i - 1], ARGV[3i]  item i's sequence number, high and low 32 bits (Lua numbers are
--          doubles, exact only to 2^53: 64-bit numbers travel and are compared as two halves)
-- ARGV[3i + 1]  item i's expiry in milliseconds (0: none): the idle expiry, or longer when
--          the number must be remembered longer (a retained message or a will). An existing
--          expiry is never shortened, so no number is forgotten before it is stale; 0 removes
--          any expiry (the window is kept for good).
--
-- Returns three numbers per item: {0, 0, 0} accepted (and recorded), {1, 0, 0} replayed,
-- {2, hi, lo} below the window whose lowest tracked number is hi * 2^32 + lo, {3, 0, 0} the
-- stored window has another width (nothing changed). Redis runs a script atomically: no
-- other command sees a half-done check.
--
-- A check is two commands (three with an expiry): GET the window, decide, SET it back with
-- the bytes that changed (the new `top`, the bits that slide out of the window, the number's
-- bit) edited in and the rest copied as it was, never unpacked into Lua values; so a check
-- costs about the same for a window of 64 numbers as for one of 65,536. Each redis.call from a
-- script costs far more than the command itself (about 1.7 us against 0.2 us for a GET here),
-- so fewer calls is what makes a check cheap. A slide of more than FEW numbers clears its bits
-- in Redis first, whole bytes with one SETRANGE.

local width = tonumber(ARGV[1])
local nbytes = width / 8
local TWO32 = 4294967296
local zeros = string.rep('\0', nbytes)

local function index(hi, lo)
  return ((hi % width) * (TWO32 % width) + (lo % width)) % width
end

-- Redis numbers the bits of a string from the most significant bit of its first byte; ring
-- bit i is bit i % 8 (least significant first) of byte i / 8, after the 8 bytes of `top`.
local function offset(i)
  return (8 + math.floor(i / 8)) * 8 + 7 - i % 8
end

local function be32(s, at)
  local a, b, c, d = string.byte(s, at, at + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

local function char32(x)
  return string.char(math.floor(x / 16777216) % 256, math.floor(x / 65536) % 256,
                     math.floor(x / 256) % 256, x % 256)
end

-- Adds to `ops` the BITFIELD writes that clear ring bits from .. to - 1
-- (0 <= from <= to <= width); whole bytes are zeroed at once.
local function clear_bits(key, ops, from, to)
  local i = from
  while i < to and i % 8 ~= 0 do
    ops[#ops + 1] = 'SET'; ops[#ops + 1] = 'u1'; ops[#ops + 1] = offset(i); ops[#ops + 1] = 0
    i = i + 1
  end
  local whole = math.floor((to - i) / 8)
  if whole > 0 then
    redis.call('SETRANGE', key, 8 + i / 8, string.sub(zeros, 1, whole))
    i = i + whole * 8
  end
  while i < to do
    ops[#ops + 1] = 'SET'; ops[#ops + 1] = 'u1'; ops[#ops + 1] = offset(i); ops[#ops + 1] = 0
    i = i + 1
  end
end

-- The window's value with `top` = seq and the ring's bytes changed as `edits` says (ring byte
-- index -> new value), built in one concatenation.
local function rebuild(ring, shi, slo, edits)
  local at = {}
  for j in pairs(edits) do at[#at + 1] = j end
  table.sort(at)
  local parts = { char32(shi), char32(slo) }
  local copied = 0
  for _, j in ipairs(at) do
    if j > copied then parts[#parts + 1] = string.sub(ring, copied + 1, j) end
    parts[#parts + 1] = string.char(edits[j])
    copied = j + 1
  end
  if copied < nbytes then parts[#parts + 1] = string.sub(ring, copied + 1) end
  return table.concat(parts)
end

-- Whether ring bit i is set in `byte`, the ring's byte i / 8.
local function has_bit(byte, i)
  return math.floor(byte / 2 ^ (i % 8)) % 2 == 1
end

-- Sets (`on`) or clears bit i of the ring, as an edit on top of `edits`.
local function edit_bit(ring, edits, i, on)
  local j = math.floor(i / 8)
  local byte = edits[j] or string.byte(ring, j + 1)
  local set = has_bit(byte, i)
  if on and not set then edits[j] = byte + 2 ^ (i % 8) end
  if not on and set then edits[j] = byte - 2 ^ (i % 8) end
end

-- Slides of more than this many numbers clear their bits in Redis first (whole bytes at once).
local FEW = 64

local function check(key, shi, slo, ttl)
  local at = index(shi, slo)
  local edits = {}
  local ring
  local stored = redis.call('GET', key)
  if not stored then
    ring = zeros
  elseif #stored ~= 8 + nbytes then
    return 3, 0, 0
  else
    ring = string.sub(stored, 9)
    local thi, tlo = be32(stored, 1), be32(stored, 5)
    if shi > thi or (shi == thi and slo > tlo) then
      local jhi, jlo = shi - thi, slo - tlo
      if jlo < 0 then jlo = jlo + TWO32; jhi = jhi - 1 end
      if jhi > 0 or jlo >= width then
        ring = zeros
      else
        -- The positions of top+1 .. seq-1 held numbers that now fall out of the window
        -- (seq's own position is set below).
        local from = (index(thi, tlo) + 1) % width
        if jlo - 1 > FEW then
          local ops = {}
          local to = from + jlo - 1
          if to <= width then
            clear_bits(key, ops, from, to)
          else
            clear_bits(key, ops, from, width)
            clear_bits(key, ops, 0, to - width)
          end
          if #ops > 0 then redis.call('BITFIELD', key, unpack(ops)) end
          ring = string.sub(redis.call('GET', key), 9)
        else
          for k = 0, jlo - 2 do
            edit_bit(ring, edits, (from + k) % width, false)
          end
        end
      end
    else
      local dhi, dlo = thi - shi, tlo - slo
      if dlo < 0 then dlo = dlo + TWO32; dhi = dhi - 1 end
      if dhi > 0 or dlo >= width then
        local lhi, llo = thi, tlo - (width - 1)
        if llo < 0 then llo = llo + TWO32; lhi = lhi - 1 end
        return 2, lhi, llo
      end
      if has_bit(string.byte(ring, math.floor(at / 8) + 1), at) then
        return 1, 0, 0
      end
      -- `top` stays.
      shi, slo = thi, tlo
    end
  end
  edit_bit(ring, edits, at, true)
  local value = rebuild(ring, shi, slo, edits)
  -- SET drops any expiry: kept for good when `ttl` is 0, else the longer of the two.
  if ttl > 0 then
    local left = redis.call('PTTL', key)
    if left > ttl then ttl = left end
    redis.call('SET', key, value, 'PX', ttl)
  else
    redis.call('SET', key, value)
  end
  return 0, 0, 0
end

local out = {}
for i = 1, #KEYS do
  local a = 3 * i - 1
  local code, hi, lo = check(KEYS[i], tonumber(ARGV[a]), tonumber(ARGV[a + 1]),
                             tonumber(ARGV[a + 2]))
  out[#out + 1] = code; out[#out + 1] = hi; out[#out + 1] = lo
end
return out
