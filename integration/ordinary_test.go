package integration

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Ordinary agent code must load and run, and answer exactly what Python
// computes. The modules are in testdata/ordinary; they all go into one
// sandbox, as an agent's work would, and each function is loaded by module.

type ordinaryCase struct {
	module, function string
	method           string
	query            url.Values // GET
	body             any        // POST, sent as JSON
	want             string     // JSON
}

func ordinaryCases() []ordinaryCase {
	mac := hmac.New(sha256.New, []byte("stargate"))
	mac.Write([]byte("hello"))
	sha := sha256.Sum256([]byte("hello"))
	md := md5.Sum([]byte("hello"))
	digest, _ := json.Marshal(map[string]any{
		"sha256":        hex.EncodeToString(sha[:]),
		"md5":           hex.EncodeToString(md[:]),
		"blake2s":       "5193815f19644c56", // hashlib.blake2s(b"hello", digest_size=8)
		"hmac":          hex.EncodeToString(mac.Sum(nil))[:16],
		"crc32":         crc32.ChecksumIEEE([]byte("hello")),
		"b64":           base64.StdEncoding.EncodeToString([]byte("hello")),
		"b64_roundtrip": "hello",
	})
	return []ordinaryCase{
		{"geometry", "polygon_metrics", "POST", nil,
			map[string]any{"points": [][]int{{0, 0}, {4, 0}, {4, 3}}, "scale": 1},
			`{"vertices":3,"area":6.0,"perimeter":12.0,"first":"Point(0.0, 0.0)","unit_square_area":1.0}`},
		{"inventory", "summarize", "POST", nil,
			map[string]any{"min_quantity": 1, "items": []map[string]any{
				{"name": "lens", "quantity": 3, "price": 2.5, "tags": []string{"optics", "glass"}},
				{"name": "mirror", "quantity": 1, "price": 10, "tags": []string{"glass"}},
				{"name": "dust", "quantity": 0},
			}},
			`{"count":2,"total_value":17.5,"by_tag":{"glass":4,"optics":3},"most_valuable":"mirror"}`},
		{"severity", "triage", "GET", url.Values{"score": {"0.45"}}, nil,
			`{"level":"MEDIUM","rank":2,"action":"review","known":["ignore","review","block"]}`},
		{"severity", "triage", "GET", url.Values{"score": {"0.45"}, "floor": {"3"}}, nil,
			`{"level":"HIGH","rank":3,"action":"block","known":["ignore","review","block"]}`},
		{"records", "normalize", "POST", nil,
			map[string]any{"payload": `{"User Name": "ada", "Scores": [{"Max Score": 3}], "ID": 7}`},
			`{"keys":["id","scores","user_name"],"doc":{"user_name":"ada","scores":[{"max_score":3}],"id":7},` +
				`"compact":"{\"id\":7,\"scores\":[{\"max_score\":3}],\"user_name\":\"ada\"}"}`},
		{"wordfreq", "word_freq", "GET", url.Values{"text": {"the cat and the hat and the bat"}, "top": {"2"}}, nil,
			`{"top":{"the":3,"and":2},"by_letter":{"a":["and"],"b":["bat"],"c":["cat"],"h":["hat"],"t":["the"]},` +
				`"stats":{"words":8,"unique":5,"longest":"the"}}`},
		{"digest", "fingerprint", "GET", url.Values{"data": {"hello"}}, nil, string(digest)},
		{"numstats", "describe", "POST", nil,
			map[string]any{"values": []int{2, 4, 4, 4, 5, 5, 7, 9}, "precision": 2, "label": "sample"},
			`{"n":8,"mean":5.0,"median":4.5,"mode":4.0,"stdev":2.14,"quartiles":[4.0,4.5,6.5],"label":"sample"}`},
		{"combos", "pairs", "POST", nil, map[string]any{"items": []int{1, 2, 3, 4}, "r": 3},
			`{"combinations":[[1,2,3],[1,2,4],[1,3,4],[2,3,4]],"count":4,"product":24,"running":[1,3,6,10],` +
				`"even_odd":{"even":2,"odd":2},"fib":[0,1,1,2,3,5,8,13,21],"chained":[1,2,3,4,0]}`},
		{"arrays", "array_stats", "POST", nil, map[string]any{"values": []int{1, 2, 3, 4, 10}},
			`{"shape":[5],"mean":4.0,"std":3.162278,"min":1.0,"argmax":4,"p90":7.6,` +
				`"moving_average":[2.0,3.0,5.6667],"normalized":[0.0,0.111,0.222,0.333,1.0],"histogram":[4,1]}`},
		{"imaging", "checkerboard", "GET", url.Values{"size": {"8"}, "cell": {"2"}}, nil,
			`{"mode":"L","size":[8,8],"mean":127.5,"white":32,"png_roundtrip":true,"corner":255,` +
				`"blurred_center":142,"bbox":[0,0,8,8]}`},
		{"script", "greet", "GET", url.Values{"name": {"Ada"}, "excited": {"true"}}, nil,
			`{"message":"Hello, Ada!","length":10}`},
		{"publish", "make_slug", "GET", url.Values{"title": {"Héllo Wörld Agents"}}, nil,
			`{"slug":"hello-world-agents","words":["Héllo","Wörld","Agents"],"plain":"hello_world_agents"}`},
		{"asyncwork", "gather_scores", "POST", nil, map[string]any{"values": []int{1, 2, 3}, "bonus": 10},
			`{"doubled":[2,4,6],"total":22}`},
		// One parameter that takes an object: the whole body is the event.
		{"events", "ingest", "POST", nil,
			map[string]any{"id": "evt-1", "width": 640, "height": 480, "ok": true, "source": "camera"},
			`{"fields":["height","id","ok","source","width"],"numeric":["height","width"],"size":5,"id":"evt-1"}`},
		// One parameter and a list body: the whole list is the argument.
		{"series", "totals", "POST", nil, []int{3, -1, 4, -1, 5},
			`{"count":5,"sum":10,"positives":[3,4,5],"max":5}`},
		{"pipeline", "run_pipeline", "GET", url.Values{"data": {"[5,1,4]"}, "factor": {"3"}}, nil,
			`{"result":[15,12],"stages":["Scale","TopK"],"due":"2024-01-31","price":"59.97","ratio":"2/3",` +
				`"note":"a pipeline of..."}`},
	}
}

func TestOrdinaryAgentCode(t *testing.T) {
	t.Parallel()
	api := StartAPI(t, Options{})
	const hash = "ordinary01"
	files := map[string]string{}
	paths, err := filepath.Glob("testdata/ordinary/*.py")
	if err != nil || len(paths) < 12 {
		t.Fatalf("testdata/ordinary: %d modules, %v", len(paths), err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = string(data)
	}
	api.Sandbox(hash, files)

	loaded := map[string]string{}
	for _, c := range ordinaryCases() {
		if _, ok := loaded[c.function]; ok {
			continue
		}
		r := api.Do("POST", "/self-improve/load", loadReq(hash, c.function, c.module, "agent"), testKey)
		if r.Status != http.StatusOK {
			t.Errorf("%s.%s did not load: %s", c.module, c.function, r)
			continue
		}
		loaded[c.function] = r.Str("endpoint_path")
	}
	for _, c := range ordinaryCases() {
		path, ok := loaded[c.function]
		if !ok {
			continue
		}
		name := c.module + "." + c.function
		var r Response
		if c.method == "GET" {
			r = api.Call("GET", path+"?"+c.query.Encode(), nil)
		} else {
			r = api.Call("POST", path, c.body)
		}
		if r.Status != http.StatusOK {
			t.Errorf("%s: %s", name, r)
			continue
		}
		var got, want any
		if err := json.Unmarshal(r.Body, &got); err != nil {
			t.Errorf("%s: answer is not JSON: %s", name, r.Body)
			continue
		}
		if err := json.Unmarshal([]byte(c.want), &want); err != nil {
			t.Fatalf("%s: bad want: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, r.Body, c.want)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
	}
	st := api.Do("GET", "/self-improve/status", nil, "")
	if st.JSON["total_loaded"] != float64(len(loaded)) {
		t.Errorf("total_loaded %v, want %d", st.JSON["total_loaded"], len(loaded))
	}
	healthy(t, api)
}
