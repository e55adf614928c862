-- Shared by every scenario script: configuration from the environment (set by bench/run.py),
-- per-thread ids and counters, status counting, and a machine-readable summary line.
--
--   BENCH_KEY       API key sent as a Bearer token
--   BENCH_ACCOUNTS  number of seeded accounts, named acct-00001 … (default 10000)
--   BENCH_HOT       the hot account's id (default hot)
--   BENCH_RUN       a tag unique to this wrk run, so external_refs never repeat across runs
--   BENCH_TICKETS   file with one open ticket id per line (adjust, resolve)
--   BENCH_THREADS   wrk's -t, so that resolve threads take disjoint tickets

local M = {}

M.accounts = tonumber(os.getenv("BENCH_ACCOUNTS") or "10000")
M.hot = os.getenv("BENCH_HOT") or "hot"
M.run = os.getenv("BENCH_RUN") or tostring(os.time())
M.nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
M.n = 0
M.json = { ["Content-Type"] = "application/json" }

local threads = {}
local next_id = 1

function M.setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function M.init(args)
  -- wrk.format(method, path, headers) sends `headers` instead of wrk.headers, not beside them.
  local auth = "Bearer " .. (os.getenv("BENCH_KEY") or "")
  wrk.headers["Authorization"] = auth
  M.json["Authorization"] = auth
  math.randomseed(os.time() * 1000 + id * 7919)
  statuses = {}
  samples = {}
end

-- A random seeded account: acct-00001 … acct-NNNNN.
function M.account()
  return string.format("acct-%05d", math.random(1, M.accounts))
end

-- A unique external_ref: run tag, thread id, per-thread counter.
function M.ref()
  M.n = M.n + 1
  return string.format("%s-%d-%d", M.run, id, M.n)
end

function M.load_tickets()
  local path = os.getenv("BENCH_TICKETS")
  local list = {}
  if path then
    for line in io.lines(path) do
      if #line > 0 then list[#list + 1] = line end
    end
  end
  if #list == 0 then error("no tickets in BENCH_TICKETS=" .. tostring(path)) end
  return list
end

function M.response(status, headers, body)
  if status >= 300 then
    statuses[status] = (statuses[status] or 0) + 1
    if #samples < 3 then -- the first few error bodies, for the runner's log
      samples[#samples + 1] = status .. " " .. string.sub(string.gsub(body or "", "%s+", " "), 1, 300)
    end
  end
end

-- Lines for bench/run.py: a few error bodies, then non-2xx statuses and exact latency
-- percentiles (microseconds).
function M.done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, count in pairs(counts) do
      merged[status] = (merged[status] or 0) + count
    end
    for _, sample in ipairs(thread:get("samples") or {}) do
      io.write("BENCH_ERROR " .. sample .. "\n")
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    parts[#parts + 1] = string.format('"%d": %d', status, count)
  end
  io.write(string.format(
    'BENCH_SUMMARY {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    table.concat(parts, ", ")))
end

-- Installs the wrk hooks; a scenario then defines only `request`.
function M.install()
  setup, init, response, done = M.setup, M.init, M.response, M.done
end

return M
