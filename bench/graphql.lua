-- wrk script of the load harness (bench/main.go): POSTs GraphQL bodies to
-- /graphql with bearer tokens, cycling through the lines of the bodies file
-- and of the tokens file (round-robin: several tenants), counts answers
-- that are not 200 or carry GraphQL "errors", and prints one JSON line.
--   wrk -s bench/graphql.lua URL -- BODIES_FILE TOKENS_FILE
local threads = {}

local function lines(path)
  local t = {}
  for l in io.lines(path) do
    if l ~= "" then t[#t + 1] = l end
  end
  return t
end

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

function init(args)
  bodies = lines(args[1])
  tokens = lines(args[2])
  gqlerrors = 0
  bad = 0
  n = id or 0
  reqs = {}
  for i = 1, #bodies * #tokens do
    local b = bodies[(i - 1) % #bodies + 1]
    local tk = tokens[math.floor((i - 1) / #bodies) % #tokens + 1]
    reqs[i] = wrk.format("POST", "/graphql",
      { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tk }, b)
  end
end

function request()
  n = n + 1
  return reqs[(n - 1) % #reqs + 1]
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  elseif string.find(body, '"errors"', 1, true) then
    gqlerrors = gqlerrors + 1
  else
    return
  end
  if sample == nil then sample = status .. " " .. string.sub(body, 1, 200) end
end

function done(summary, latency, requests)
  local ge, nb, sample = 0, 0, nil
  for _, t in ipairs(threads) do
    ge = ge + t:get("gqlerrors")
    nb = nb + t:get("bad")
    sample = sample or t:get("sample")
  end
  if sample then io.write("WRKSAMPLE " .. string.gsub(sample, "\n", " ") .. "\n") end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"mean_us":%.1f,' ..
    '"non2xx":%d,"graphql_errors":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.mean, nb, ge, e.connect + e.read + e.write + e.timeout))
end
