-- Set a random open ticket's capture to 5–40 points (raises and lowers), spread over the tickets
-- opened by open_spread.
local b = dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")
b.install()
local base_init = init
local tickets

init = function(args)
  base_init(args)
  tickets = b.load_tickets()
end

request = function()
  local ticket = tickets[math.random(1, #tickets)]
  local body = string.format('{"points":%d,"reason":"bench adjust"}', math.random(5, 40))
  return wrk.format("POST", "/v1/tickets/" .. ticket .. "/adjust", b.json, body)
end
