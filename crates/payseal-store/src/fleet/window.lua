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
--
-- The script reads and writes only the bytes a decision touches (the 8 bytes of `top` and the
-- bits that change, with Redis's own GETRANGE/SETRANGE/GETBIT/SETBIT), so a check costs the
-- same for a window of 64 numbers as for one of 65,536; only a jump clears more bits, a whole
-- byte per SETRANGE.

local key = KEYS[1]
local width = tonumber(ARGV[1])
local shi = tonumber(ARGV[2])
local slo = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local TWO32 = 4294967296
local nbytes = width / 8

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

-- Clears ring bits from .. to - 1 (0 <= from <= to <= width).
local function clear_bits(from, to)
  local i = from
  while i < to and i % 8 ~= 0 do
    redis.call('SETBIT', key, offset(i), 0)
    i = i + 1
  end
  local whole = math.floor((to - i) / 8)
  if whole > 0 then
    redis.call('SETRANGE', key, 8 + i / 8, string.rep('\0', whole))
    i = i + whole * 8
  end
  while i < to do
    redis.call('SETBIT', key, offset(i), 0)
    i = i + 1
  end
end

local at = index(shi, slo)
local len = redis.call('STRLEN', key)
if len == 0 then
  redis.call('SET', key, char32(shi) .. char32(slo) .. string.rep('\0', nbytes))
elseif len ~= 8 + nbytes then
  return redis.error_reply('payseal: stored window has another width')
else
  local head = redis.call('GETRANGE', key, 0, 7)
  local thi, tlo = be32(head, 1), be32(head, 5)
  if shi > thi or (shi == thi and slo > tlo) then
    local jhi, jlo = shi - thi, slo - tlo
    if jlo < 0 then jlo = jlo + TWO32; jhi = jhi - 1 end
    if jhi > 0 or jlo >= width then
      redis.call('SETRANGE', key, 8, string.rep('\0', nbytes))
    else
      -- The positions of top+1 .. seq-1 held numbers that now fall out of the window (seq's
      -- own position is set below).
      local from = (index(thi, tlo) + 1) % width
      local to = from + jlo - 1
      if to <= width then
        clear_bits(from, to)
      else
        clear_bits(from, width)
        clear_bits(0, to - width)
      end
    end
    redis.call('SETRANGE', key, 0, char32(shi) .. char32(slo))
  else
    local dhi, dlo = thi - shi, tlo - slo
    if dlo < 0 then dlo = dlo + TWO32; dhi = dhi - 1 end
    if dhi > 0 or dlo >= width then
      local lhi, llo = thi, tlo - (width - 1)
      if llo < 0 then llo = llo + TWO32; lhi = lhi - 1 end
      return {2, lhi, llo}
    end
    if redis.call('GETBIT', key, offset(at)) == 1 then
      return {1, 0, 0}
    end
  end
end

redis.call('SETBIT', key, offset(at), 1)
if ttl > 0 then
  if redis.call('PTTL', key) < ttl then
    redis.call('PEXPIRE', key, ttl)
  end
else
  redis.call('PERSIST', key)
end
return {0, 0, 0}
