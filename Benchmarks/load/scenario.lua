-- wrk script for scripts/bench: one scenario per run, chosen by the SCENARIO environment variable.
--   ping            GET /ping/
--   read_one        GET /customer/<id>/            (a random seeded customer)
--   read_list       GET /customer/                 (every row, ~100)
--   write_customer  POST /customer/
--   write_order     POST /order/ with 3 distinct random products
--   contended       PUT /product/<id>/ on the first HOT seeded products (default 5)
-- CUSTOMER_IDS and PRODUCT_IDS are "first:last" ranges of seeded ids (contiguous).
-- Every answer that is not 2xx counts as an error (wrk's own counter lets 3xx pass), and so do
-- socket errors; done() prints one line "BENCHJSON {...}" for scripts/bench to parse, with the
-- count of each non-2xx status ("statuses": {"503": 7}).

local scenario = os.getenv("SCENARIO") or "ping"
local function range(name)
  local a, b = (os.getenv(name) or "1:100"):match("^(%d+):(%d+)$")
  return tonumber(a), tonumber(b)
end
local cfirst, clast = range("CUSTOMER_IDS")
local pfirst, plast = range("PRODUCT_IDS")
local hot = tonumber(os.getenv("HOT") or "5")

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local json = { ["Content-Type"] = "application/json" }
local n = 0

function init(args)
  errors = 0
  non2xx = 0
  statuses = {}
  math.randomseed(tid * 7919 + os.time())
end

function request()
  n = n + 1
  if scenario == "ping" then
    return wrk.format("GET", "/ping/")
  elseif scenario == "read_one" then
    return wrk.format("GET", "/customer/" .. math.random(cfirst, clast) .. "/")
  elseif scenario == "read_list" then
    return wrk.format("GET", "/customer/")
  elseif scenario == "write_customer" then
    return wrk.format("POST", "/customer/", json, '{"name": "bench ' .. tid .. "-" .. n .. '"}')
  elseif scenario == "write_order" then
    local a = math.random(pfirst, plast)
    local b, c
    repeat b = math.random(pfirst, plast) until b ~= a
    repeat c = math.random(pfirst, plast) until c ~= a and c ~= b
    local body = '{"subtotal": "123.40", "customer": {"id": ' .. math.random(cfirst, clast) ..
      '}, "products": [{"id": ' .. a .. '}, {"id": ' .. b .. '}, {"id": ' .. c .. '}]}'
    return wrk.format("POST", "/order/", json, body)
  elseif scenario == "contended" then
    local id = pfirst + math.random(0, hot - 1)
    local body = '{"price": "' .. math.random(1, 99999) .. '.' .. string.format("%02d", math.random(0, 99)) .. '"}'
    return wrk.format("PUT", "/product/" .. id .. "/", json, body)
  end
  error("unknown SCENARIO " .. scenario)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  local by_status = {}
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    for status, count in pairs(thread:get("statuses") or {}) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  local codes = {}
  for status, count in pairs(by_status) do table.insert(codes, string.format('"%d": %d', status, count)) end
  table.sort(codes)
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCHJSON {"scenario": "%s", "requests": %d, "seconds": %.3f, "rps": %.1f, ' ..
    '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "non2xx": %d, "socket_errors": %d, "bytes": %d, ' ..
    '"statuses": {%s}}\n',
    scenario, summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, bad, socket, summary.bytes, table.concat(codes, ", ")))
end
