-- primebench's wrk script: machine-readable results through wrk's done() hook, and
-- optionally a different n on every request.
--
-- Arguments after `--`: [LO HI SEED PREFIX]. With them, each request asks for
-- PREFIX .. random(LO, HI); without them wrk sends its one pre-built request (the
-- `request` function is only installed when needed, because any `request` function
-- makes wrk build every request in Lua, which costs generator CPU).
--
-- The report is one line, "PRIMEBENCH_WRK_JSON " followed by a JSON object, printed
-- after wrk's own text. Times are in microseconds, as wrk measures them.

local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("thread_index", counter)
end

function init(args)
   if #args >= 4 then
      local lo = tonumber(args[1])
      local hi = tonumber(args[2])
      local seed = tonumber(args[3])
      local prefix = args[4]
      math.randomseed(seed + 7919 * (thread_index or 1))
      request = function()
         return wrk.format(nil, prefix .. tostring(math.random(lo, hi)))
      end
   end
end

local function num(x)
   -- integers print without an exponent; wrk's counters are integers
   return string.format("%.17g", x)
end

function done(summary, latency, requests)
   local e = summary.errors
   local parts = {
      '"duration_us":' .. num(summary.duration),
      '"requests":' .. num(summary.requests),
      '"bytes":' .. num(summary.bytes),
      '"errors":{"connect":' .. num(e.connect) .. ',"read":' .. num(e.read)
         .. ',"write":' .. num(e.write) .. ',"status":' .. num(e.status)
         .. ',"timeout":' .. num(e.timeout) .. '}',
      '"latency_us":{"min":' .. num(latency.min) .. ',"max":' .. num(latency.max)
         .. ',"mean":' .. num(latency.mean) .. ',"stdev":' .. num(latency.stdev)
         .. ',"p50":' .. num(latency:percentile(50)) .. ',"p90":' .. num(latency:percentile(90))
         .. ',"p99":' .. num(latency:percentile(99)) .. ',"p99_9":' .. num(latency:percentile(99.9))
         .. '}',
   }
   io.write("PRIMEBENCH_WRK_JSON {" .. table.concat(parts, ",") .. "}\n")
end
