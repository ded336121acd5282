-- wrk script for benchmarks/feedback_api.py: unique survey answers, counting 201s and requests sent per thread.
-- Its argument (after wrk's `--`) starts every submission id, so each run's answers are new.
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1] or "wrk"
  sent, created, other = 0, 0, 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  sent = sent + 1
  local body = string.format(
    '{"csat":%d,"nps":%d,"comment":"Fast delivery and friendly support","submission_id":"%s-%d-%09d"}',
    sent % 5 + 1, sent % 11, prefix, tid, sent)
  return wrk.format(nil, "/api/feedback", nil, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local s, c, o = 0, 0, 0
  for _, t in ipairs(threads) do s = s + t:get("sent"); c = c + t:get("created"); o = o + t:get("other") end
  io.write(string.format("RESULT sent=%d created=%d other=%d errors=%d p50=%.3f p95=%.3f p99=%.3f\n", s, c, o,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
