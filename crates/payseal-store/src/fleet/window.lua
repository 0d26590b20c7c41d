-- payseal replay window check-and-record (spec/replay-stores.md §4), run with EVALSHA.
--
-- KEYS[1]  the sender's window: 8 bytes `top` (big-endian), then W/8 bytes of ring in which
--          bit (s mod W) -- byte (s mod W) / 8, bit (s mod W) % 8, least significant first --
--          is set when s in top-W+1 .. top was accepted (the same bytes as window.rs).
-- ARGV[1]  W, the window width: a multiple of 64, at most 65536
-- ARGV[2]  the sequence number's high 32 bits, ARGV[3] its low 32 bits (Lua numbers are
--          doubles, exact only to 2^53: 64-bit numbers travel and are compared as two halves)
-- ARGV[4]  expiry in milliseconds (0: none): the idle expiry, or longer when the number must
--          be remembered longer (a retained message or a will). An existing expiry is never
--          shortened, so no number is forgotten before it is stale.
--
-- Returns {0, 0, 0} accepted (and recorded), {1, 0, 0} replayed, {2, hi, lo} below the
-- window whose lowest tracked number is hi * 2^32 + lo; an error for a window of another
-- width. Redis runs a script atomically: no other command sees a half-done check.

local width = tonumber(ARGV[1])
local shi = tonumber(ARGV[2])
local slo = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local TWO32 = 4294967296
local nbytes = width / 8

local function index(hi, lo)
  return ((hi % width) * (TWO32 % width) + (lo % width)) % width
end

local function be32(s, at)
  local a, b, c, d = string.byte(s, at, at + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

local function char32(x)
  return string.char(math.floor(x / 16777216) % 256, math.floor(x / 65536) % 256,
                     math.floor(x / 256) % 256, x % 256)
end

local ring = {}
local thi, tlo
local stored = redis.call('GET', KEYS[1])
if stored then
  if #stored ~= 8 + nbytes then
    return redis.error_reply('payseal: stored window has another width')
  end
  thi = be32(stored, 1)
  tlo = be32(stored, 5)
  -- string.byte returns one value per byte: read in slices to stay within Lua's stack.
  for from = 9, 8 + nbytes, 4096 do
    local to = math.min(from + 4095, 8 + nbytes)
    local slice = { string.byte(stored, from, to) }
    for k = 1, #slice do ring[#ring + 1] = slice[k] end
  end
else
  for k = 1, nbytes do ring[k] = 0 end
end

local function test(i)
  local b = ring[math.floor(i / 8) + 1]
  return math.floor(b / 2 ^ (i % 8)) % 2 == 1
end

local function set(i)
  if not test(i) then
    local j = math.floor(i / 8) + 1
    ring[j] = ring[j] + 2 ^ (i % 8)
  end
end

local function clear(i)
  if test(i) then
    local j = math.floor(i / 8) + 1
    ring[j] = ring[j] - 2 ^ (i % 8)
  end
end

if stored then
  local above = shi > thi or (shi == thi and slo > tlo)
  if above then
    local jhi, jlo = shi - thi, slo - tlo
    if jlo < 0 then jlo = jlo + TWO32; jhi = jhi - 1 end
    if jhi > 0 or jlo >= width then
      for k = 1, nbytes do ring[k] = 0 end
    else
      -- The positions of top+1 .. seq held numbers that now fall out of the window.
      local i = index(thi, tlo)
      for _ = 1, jlo do
        i = (i + 1) % width
        clear(i)
      end
    end
    thi, tlo = shi, slo
  else
    local dhi, dlo = thi - shi, tlo - slo
    if dlo < 0 then dlo = dlo + TWO32; dhi = dhi - 1 end
    if dhi > 0 or dlo >= width then
      local lhi, llo = thi, tlo - (width - 1)
      if llo < 0 then llo = llo + TWO32; lhi = lhi - 1 end
      return {2, lhi, llo}
    end
    if test(index(shi, slo)) then
      return {1, 0, 0}
    end
  end
else
  thi, tlo = shi, slo
end

set(index(shi, slo))
local parts = { char32(thi), char32(tlo) }
for from = 1, nbytes, 4096 do
  parts[#parts + 1] = string.char(unpack(ring, from, math.min(from + 4095, nbytes)))
end
local value = table.concat(parts)
if ttl > 0 then
  local left = redis.call('PTTL', KEYS[1])
  if left > ttl then ttl = left end
  redis.call('SET', KEYS[1], value, 'PX', ttl)
else
  redis.call('SET', KEYS[1], value)
end
return {0, 0, 0}
