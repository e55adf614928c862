-- Ceiling: a trivial POST whose ticket-open body a pydantic model validates (no database).
local b = dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")
b.install()

request = function()
  local body = string.format('{"external_ref":"%s","category":"consultation","subject":"bench"}', b.ref())
  return wrk.format("POST", "/bench/ceiling", b.json, body)
end
