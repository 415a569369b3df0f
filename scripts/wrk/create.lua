-- POST /api/v1/bookings, every request a distinct free 15-minute slot:
-- request n of thread t is booking k = n * threads + t, in room k % rooms,
-- slot k / rooms after BENCH_FIRST (Unix seconds). BENCH_THREADS must be
-- wrk's -t. With BENCH_FEED set, every second request is instead a GET of
-- that feed path (the feed "just after each change"). With BENCH_PEOPLE set
-- (bearer tokens), the requests take the tokens in turn: many people book.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local rooms = common.list("BENCH_ROOMS")
local first = tonumber(os.getenv("BENCH_FIRST"))
local threads = tonumber(os.getenv("BENCH_THREADS"))
local feed = os.getenv("BENCH_FEED")
local minutes = 15
local people = common.list("BENCH_PEOPLE")
local as_person = {}
for i, t in ipairs(people) do
  as_person[i] = {
    ["Authorization"] = "Bearer " .. t,
    ["Content-Type"] = "application/json",
  }
end

local created = 0

function setup(thread)
  created = created + 1
  thread:set("tid", created - 1)
end

local n = 0
local posted = false

local function iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

function request()
  if feed and posted then
    posted = false
    return wrk.format("GET", feed, common.headers)
  end
  local k = n * threads + tid
  n = n + 1
  posted = true
  local start = first + math.floor(k / #rooms) * minutes * 60
  local body = string.format(
    '{"room_id":"%s","title":"load","attendees":2,"start":"%s","end":"%s"}',
    rooms[(k % #rooms) + 1], iso(start), iso(start + minutes * 60))
  local headers = common.headers
  if #as_person > 0 then
    headers = as_person[(k % #as_person) + 1]
  end
  return wrk.format("POST", "/api/v1/bookings", headers, body)
end

done = common.done
