-- wrk script of proxy.sh's paced HTTP figure: each connection pauses between an answer and its next
-- request for a random time with the mean PACED_GAP_MS (milliseconds, default 16), drawn from an
-- exponential distribution so that requests do not march in step. 64 connections then offer about
-- 64 / (gap + latency) requests a second, near 3,900 at the default: a load every gateway serves
-- with time to spare, where its latency is its own work, not a queue of requests waiting for a
-- core (at saturation, p50 is the connections times the CPU per request, by Little's law).
local mean = tonumber(os.getenv("PACED_GAP_MS")) or 16

function setup(thread)
  thread:set("seed", os.time() + math.random(1, 1000000))
end

function init()
  math.randomseed(seed or os.time())
end

-- wrk waits this many whole milliseconds before the connection's next request.
function delay()
  return math.floor(-math.log(1 - math.random()) * mean + 0.5)
end
