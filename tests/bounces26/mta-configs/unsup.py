"""Round 26: empty the sending mox's suppression list through its webapi (SuppressionList,
SuppressionRemove), so a recipient refused permanently can be used again."""
import base64, json, urllib.parse, urllib.request
AUTH = "Basic " + base64.b64encode(b"alice@mox-tx.example.com:r26wsecret1").decode()
def call(fn, req):
    data = urllib.parse.urlencode({"request": json.dumps(req)}).encode()
    r = urllib.request.Request(f"http://127.0.0.1:2928/webapi/v0/{fn}", data=data, headers={"Authorization": AUTH})
    return json.load(urllib.request.urlopen(r))
lst = call("SuppressionList", {})
for s in lst.get("Suppressions") or []:
    call("SuppressionRemove", {"EmailAddress": s["BaseAddress"]})
print("removed", len(lst.get("Suppressions") or []))
