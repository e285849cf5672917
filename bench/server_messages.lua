-- wrk script of bench/server.py: every request posts a text message to one of the
-- conversations bench/server.py created beforehand, with a unique Idempotency-Key.
--
--   BENCH_CONVERSATIONS  a file of lines "<conversation id> <conversation token>"
--   BENCH_RUN            a prefix that keeps keys unique across runs (default "run")
--   BENCH_PORTS          optional "8001,8002": wrk thread i connects to the i-th port (in
--                        turn), so one wrk run spreads its connections over several servers
--   BENCH_HISTOGRAM      optional file that done() fills with the latency histogram
--
-- Each thread takes its own slice of the conversations and walks it in turn. done() prints
-- one line "WRK key=value ..." that bench/server.py reads (latencies in microseconds).

local threads = {}

function setup(thread)
  local index = #threads + 1
  threads[index] = thread
  thread:set("index", index)
  local ports = os.getenv("BENCH_PORTS")
  if ports and ports ~= "" then
    local list = {}
    for port in string.gmatch(ports, "%d+") do list[#list + 1] = port end
    thread.addr = wrk.lookup("127.0.0.1", list[(index - 1) % #list + 1])[1]
  end
end

function init(args)
  local count = tonumber(os.getenv("BENCH_THREADS") or "1")
  local run = os.getenv("BENCH_RUN") or "run"
  requests = {}
  local line_number = 0
  for line in io.lines(os.getenv("BENCH_CONVERSATIONS")) do
    local id, token = line:match("^(%S+)%s+(%S+)$")
    if id then
      if line_number % count == index - 1 then
        requests[#requests + 1] = {path = "/v1/conversations/" .. id .. "/messages",
                                   token = "Bearer " .. token}
      end
      line_number = line_number + 1
    end
  end
  if #requests == 0 then error("no conversations for thread " .. index) end
  prefix = run .. "-" .. index .. "-"
  sent = 0
end

function request()
  sent = sent + 1
  local target = requests[(sent - 1) % #requests + 1]
  return wrk.format("POST", target.path,
                    {["Authorization"] = target.token,
                     ["Content-Type"] = "application/json",
                     ["Idempotency-Key"] = prefix .. sent},
                    '{"type":"text","text":"message ' .. sent .. '"}')
end

function done(summary, latency, requests)
  local histogram = os.getenv("BENCH_HISTOGRAM")
  if histogram and histogram ~= "" then  -- "<microseconds> <count>" lines, to merge runs
    local out = assert(io.open(histogram, "w"))
    for i = 1, #latency do
      local value, count = latency(i)
      out:write(value, " ", count, "\n")
    end
    out:close()
  end
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f max_us=%.0f " ..
    "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
