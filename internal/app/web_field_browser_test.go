package app_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// jpegFile writes a w×h JPEG photo for an upload.
func jpegFile(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "scene.jpg")
	if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// waitJS polls a JavaScript condition until it holds.
func (b *browser) waitJS(what, js string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("waiting for %s: %v (at %s)", what, err, b.location())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// evalAwait evaluates a promise of a boolean.
func (b *browser) evalAwait(js string) bool {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return ok
}

// offline cuts the network of the page and of its service worker
// (emulateOfflineServiceWorker), and tells navigator.onLine; online
// restores both.
func (b *browser) setOffline(off bool) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, network.Enable, network.EnableParams{}); err != nil {
		b.t.Fatalf("network enable: %v", err)
	}
	conds := []*network.Conditions{}
	if off {
		conds = append(conds, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
	}
	if _, err := chromedp.Call(b.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &off, MatchedNetworkConditions: conds}); err != nil {
		b.t.Fatalf("network conditions: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: off, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		b.t.Fatalf("network state: %v", err)
	}
	// The page's conditions do not reach the service worker's own fetches
	// in Chromium: attach to the worker and set them there too.
	targets, err := chromedp.Targets(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, ti := range targets {
		if ti.Type != "service_worker" || !strings.Contains(ti.URL, "/work/field/sw.js") {
			continue
		}
		// Not cancelled: cancelling the context would close the worker's
		// target. It ends with the browser.
		wctx, _ := chromedp.NewContext(b.ctx, chromedp.WithTargetID(ti.TargetID))
		if _, err := chromedp.Call(wctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: conds}); err != nil {
			b.t.Fatalf("service worker network conditions: %v", err)
		}
	}
}

// fieldReady opens the field app and waits until its service worker
// controls it, the worker's data is in and a second load went through the
// worker (so the grid map's data is kept too).
func (b *browser) fieldReady(lat, lng float64) {
	b.t.Helper()
	origin := b.h.srv.URL
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: origin}); err != nil {
		b.t.Fatalf("grant geolocation: %v", err)
	}
	acc := 8.0
	if _, err := chromedp.Call(b.ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lng, Accuracy: &acc}); err != nil {
		b.t.Fatalf("geolocation override: %v", err)
	}
	b.open("/work/field", "#field-form")
	b.waitJS("the service worker", `navigator.serviceWorker.ready.then(() => true)`, 20*time.Second)
	if !b.eval(`navigator.serviceWorker.controller !== null`) {
		b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#field-form")))
	} else {
		// Load once more through the worker: the map's data is kept then.
		b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#field-form")))
	}
	b.waitJS("control by the service worker", `navigator.serviceWorker.controller !== null`, 10*time.Second)
	b.waitJS("the field data", `document.getElementById('tasks-status').textContent === '' && document.querySelectorAll('#tasks li').length > 0`, 10*time.Second)
}

// outbox is the number of items the page shows waiting.
func (b *browser) outbox() int {
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById('field-app').getAttribute('data-outbox') || ''`))
	if err != nil {
		b.t.Fatal(err)
	}
	v, _ := strconv.Atoi(n)
	return v
}

// queuedItem reads the outbox's first item's key and capture time.
func (b *browser) queuedItem() (key, observed string) {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`new Promise((resolve, reject) => {
		const r = indexedDB.open('yw-field');
		r.onsuccess = () => {
			const g = r.result.transaction('outbox').objectStore('outbox').getAll();
			g.onsuccess = () => { const it = g.result[0]; resolve(it ? it.key + ' ' + it.observed_at : ''); r.result.close(); };
			g.onerror = () => reject(g.error);
		};
		r.onerror = () => reject(r.error);
	})`, chromedp.EvalAwaitPromise))
	if err != nil || s == "" {
		b.t.Fatalf("outbox item: %q %v", s, err)
	}
	key, observed, _ = strings.Cut(s, " ")
	return key, observed
}

// casesWith counts the cases of a description.
func casesWith(t *testing.T, h *harness, desc string) []model.Case {
	t.Helper()
	var out []model.Case
	admin := mustUser(t, h, "admin")
	cs, err := h.app.Service.ListCases(context.Background(), admin, model.CaseFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Description == desc {
			out = append(out, c)
		}
	}
	return out
}

// TestWebFieldOffline drives the field app in Chromium on a 390 px phone:
// the grid worker opens /work/field, its service worker takes control,
// the network goes (for the page and the worker), the page reloads from
// the cache, a report with a photo is entered with the device's position
// (checked against the grid) and waits in the outbox (待上传 1 条); when
// the network returns it is sent, and exactly one case exists with the
// offline capture time and the photo reduced on the device.
func TestWebFieldOffline(t *testing.T) {
	chromiumPath(t)
	h := newHarness(t, t.TempDir())
	b := newBrowser(t, h)
	ctx := context.Background()
	gw := mustUser(t, h, "wgy001")
	lat, lng := gridCentre(t, h.app.Service.Ref().Grids[gw.OrgID].Geometry)
	photo := jpegFile(t, 2400, 1200)
	start := time.Now()

	cat := pickCategory(t, h, true)
	// Two cases wait for the worker's 核查; someone else will verify the
	// second while the worker is offline.
	done := toVerification(t, h, lat, lng, cat.ID)
	taken := toVerification(t, h, lat, lng, cat.ID)

	b.login("wgy001", "yiwang-demo")
	if !b.eval(`document.getElementById('nav-field') !== null`) {
		t.Fatal("the grid worker's navigation has no field app link")
	}
	b.fieldReady(lat, lng)
	b.shot("field-online")
	// It fits the phone: nothing wider than the 390 px screen, and every
	// button and field at least 24 px high.
	if !b.eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Errorf("the field page is wider than the screen: %v", b.eval(`document.documentElement.scrollWidth`))
	}
	if !b.eval(`Array.from(document.querySelectorAll('#field-app button, #field-app input, #field-app select, #field-app textarea')).every(e => e.type === 'radio' || e.type === 'file' || e.getBoundingClientRect().height >= 24)`) {
		t.Error("a control of the field page is smaller than 24 px")
	}
	if got := b.text("#outbox-count"); !strings.Contains(got, "待上传 0 条") {
		t.Fatalf("outbox heading %q", got)
	}
	if !b.eval(`document.querySelector('link[rel=manifest]') !== null`) {
		t.Fatal("no manifest link")
	}

	b.setOffline(true)
	// Really offline: the page's own fetch fails, and so does one that
	// goes through the service worker and is not in its cache.
	if !b.evalAwait(`fetch('/work/field/data', {cache: 'no-store'}).then(() => false, () => true)`) {
		t.Fatal("the page still reaches the server")
	}
	if !b.evalAwait(fmt.Sprintf(`fetch('/map/grids.geojson?grid=%d&probe=1').then(() => false, () => true)`, gw.OrgID)) {
		t.Fatal("the service worker still reaches the server")
	}
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#field-form")))
	if got := b.text("#field-net"); !strings.Contains(got, "离线") {
		t.Fatalf("network state %q after the offline reload", got)
	}
	b.waitJS("the cached tasks", `document.getElementById('tasks-status').textContent.indexOf('离线') === 0`, 5*time.Second)

	desc := "巡查发现：乐坪大道人行道护栏倒伏（离线上报）"
	b.do(
		chromedp.SendKeys(chromedp.CSS("#description"), desc),
		chromedp.Click(chromedp.CSS("#field-locate")),
	)
	b.waitJS("the device's position", `document.getElementById('lat').value !== '' && document.getElementById('geo-check').getAttribute('data-inside') === '1'`, 10*time.Second)
	if got := b.text("#geo-check"); got != "位置在您的网格内" {
		t.Fatalf("grid check %q", got)
	}
	// A point outside the grid is warned about (and may still be sent).
	if !b.eval(`(() => { const l = document.getElementById('lat'); const v = l.value; l.value = '0.5'; l.dispatchEvent(new Event('input')); const w = document.getElementById('geo-check').textContent; l.value = v; l.dispatchEvent(new Event('input')); return w.indexOf('位置不在您的网格内') === 0; })()`) {
		t.Fatal("a point outside the grid is not warned about")
	}
	b.eval(fmt.Sprintf(`(() => { const s = document.getElementById('category'); s.value = '%d'; return s.value === '%d'; })()`, cat.ID, cat.ID))
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#photos"), []string{photo}))
	b.do(chromedp.Click(chromedp.CSS("#field-submit")))
	b.waitJS("the report in the outbox", `document.getElementById('field-app').getAttribute('data-outbox') === '1'`, 10*time.Second)
	if got := b.text("#outbox-count"); got != "待上传 1 条" {
		t.Fatalf("outbox heading %q", got)
	}
	if got := b.text("#outbox li .outbox-state"); got != "待上传" {
		t.Fatalf("item state %q", got)
	}
	// The photo was reduced on the device: longest side 1600 px.
	if !b.evalAwait(`new Promise(resolve => { const r = indexedDB.open('yw-field'); r.onsuccess = () => {
		const g = r.result.transaction('outbox').objectStore('outbox').getAll();
		g.onsuccess = () => { const p = g.result[0].photos[0]; createImageBitmap(p).then(bm => resolve(p.type === 'image/jpeg' && bm.width === 1600 && bm.height === 800)); }; }; })`) {
		t.Fatal("the stored photo is not a 1600×800 JPEG")
	}
	_, observed := b.queuedItem()
	b.shot("field-offline-outbox")
	time.Sleep(1500 * time.Millisecond) // a sync attempt or two while offline
	if n := len(casesWith(t, h, desc)); n != 0 {
		t.Fatalf("%d cases while offline", n)
	}

	// 核查 both cases offline, from the task list.
	for _, c := range []model.Case{done, taken} {
		li := fmt.Sprintf(`#tasks li[data-case="%d"]`, c.ID)
		b.do(chromedp.Click(chromedp.CSS(li+` input[value=pass]`)), chromedp.Click(chromedp.CSS(fmt.Sprintf("#verify-%d", c.ID))))
		b.waitJS("the 核查 in the outbox", fmt.Sprintf(`document.querySelector('%s') !== null && document.querySelector('%s form') === null`, li, li), 5*time.Second)
	}
	b.waitJS("three items in the outbox", `document.getElementById('field-app').getAttribute('data-outbox') === '3'`, 10*time.Second)
	if got := b.text("#outbox-count"); got != "待上传 3 条" {
		t.Fatalf("outbox heading %q", got)
	}
	b.shot("field-offline-outbox-3")
	if _, err := h.app.Service.Act(ctx, mustUser(t, h, "operator1"), taken.ID, "verify", service.ActionInput{Version: taken.Version, Result: "fail", Note: "未整改"}); err != nil {
		t.Fatal(err)
	}

	b.setOffline(false)
	// The report and the first 核查 go; the second is a conflict that
	// stays, with its case, until the worker dismisses it.
	conflict := `#outbox li[data-state="conflict"]`
	b.waitJS("the outbox to keep only the conflict", `document.getElementById('field-app').getAttribute('data-outbox') === '1' && document.querySelector('`+conflict+`') !== null`, 30*time.Second)
	if got := b.text(conflict + " .outbox-state"); got != "冲突：案件已被他人处理" {
		t.Fatalf("conflict state %q", got)
	}
	if !b.eval(fmt.Sprintf(`document.querySelector('%s a').getAttribute('href') === '/work/cases/%d'`, conflict, taken.ID)) {
		t.Fatal("the conflict does not link its case")
	}
	b.shot("field-synced-conflict")
	if c, _, _ := h.app.Service.Case(ctx, gw, done.ID); c.Status != model.StateClosed {
		t.Fatalf("case %d verified offline is %s", done.ID, c.Status)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM case_events WHERE case_id = ? AND action = 'verify'`, taken.ID); n != 1 {
		t.Fatalf("case %d has %d verify entries, want the operator's only", taken.ID, n)
	}
	b.do(chromedp.Click(chromedp.CSS(conflict + " button.dismiss")))
	b.waitJS("the outbox to empty", `document.getElementById('field-app').getAttribute('data-outbox') === '0'`, 10*time.Second)
	b.shot("field-synced")
	cs := casesWith(t, h, desc)
	if len(cs) != 1 {
		t.Fatalf("%d cases of the offline report, want 1", len(cs))
	}
	c, tl, err := h.app.Service.Case(ctx, gw, cs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	want, err := time.Parse(time.RFC3339Nano, observed)
	if err != nil {
		t.Fatal(err)
	}
	if got := service.ObservedAt(tl[0]); !got.Equal(want) || !c.CreatedAt.After(got) || c.Channel != model.ChannelPatrol || c.GridID != gw.OrgID {
		t.Fatalf("case %d: observed %v (outbox %v), created %v, channel %s, grid %d", c.ID, got, want, c.CreatedAt, c.Channel, c.GridID)
	}
	var photos []string
	for _, ev := range tl {
		photos = append(photos, ev.Attachments...)
	}
	if len(photos) != 1 {
		t.Fatalf("case %d has %d photos", c.ID, len(photos))
	}
	sup, err := h.app.Store.UserByUsername(ctx, "supervisor")
	if err != nil {
		t.Fatal(err)
	}
	_, f, err := h.app.Service.OpenAttachment(ctx, sup, photos[0])
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.DecodeConfig(f)
	f.Close()
	if err != nil || img.Width != 1600 || img.Height != 800 {
		t.Fatalf("uploaded photo: %v %dx%d", err, img.Width, img.Height)
	}

	// Logging out with a report still waiting asks first; cancelled, the
	// report stays.
	dialogs := make(chan string, 4)
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if d, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok {
			dialogs <- d.Message
			go chromedp.Call(b.ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
		}
	}); err != nil {
		t.Fatal(err)
	}
	b.setOffline(true)
	b.do(
		chromedp.SendKeys(chromedp.CSS("#description"), "巡查发现：路牌缺失"),
		chromedp.SendKeys(chromedp.CSS("#lat"), strconv.FormatFloat(lat, 'f', 6, 64)),
		chromedp.SendKeys(chromedp.CSS("#lng"), strconv.FormatFloat(lng, 'f', 6, 64)),
	)
	b.eval(fmt.Sprintf(`(() => { document.getElementById('category').value = '%d'; return true; })()`, cat.ID))
	b.do(chromedp.Click(chromedp.CSS("#field-submit")))
	b.waitJS("the second report in the outbox", `document.getElementById('field-app').getAttribute('data-outbox') === '1'`, 10*time.Second)
	b.do(chromedp.Click(chromedp.CSS("#logout")))
	select {
	case msg := <-dialogs:
		if !strings.Contains(msg, "还有 1 条未上传，退出将丢失") {
			t.Fatalf("logout warning %q", msg)
		}
	case <-time.After(10 * time.Second):
		b.shot("failure")
		t.Fatal("no warning before a logout that would drop a report")
	}
	time.Sleep(300 * time.Millisecond)
	if !strings.HasSuffix(b.location(), "/work/field") || b.outbox() != 1 {
		t.Fatalf("after the cancelled logout: at %s, outbox %d", b.location(), b.outbox())
	}
	b.setOffline(false)
	b.waitJS("the outbox to empty again", `document.getElementById('field-app').getAttribute('data-outbox') === '0'`, 30*time.Second)
	// With nothing waiting, logging out asks nothing and leaves nothing of
	// the app on the device: no outbox, no cached page or data, no worker.
	b.clickAndLoad("#logout")
	b.do(chromedp.WaitVisible(chromedp.CSS("#login-form")))
	if len(dialogs) != 0 {
		t.Fatalf("a logout with an empty outbox asked: %q", <-dialogs)
	}
	if !b.evalAwait(`Promise.all([indexedDB.databases(), caches.keys(), navigator.serviceWorker.getRegistrations()]).then(([d, k, r]) =>
		!d.some(x => x.name === 'yw-field') && !k.some(x => x.indexOf('yw-field') === 0) && r.length === 0)`) {
		t.Fatal("the field app's data outlived the logout")
	}
	t.Logf("offline report: captured %s, filed %s; whole test %.1f s", want.Format(time.RFC3339Nano), c.CreatedAt.Format(time.RFC3339Nano), time.Since(start).Seconds())
}

// TestWebFieldRestart queues a report offline, closes the browser while
// still offline, and starts it again on the same profile with the network
// back: opening the field app (logging in again: the session cookie ends
// with the browser) sends the queued report, exactly once.
func TestWebFieldRestart(t *testing.T) {
	chromiumPath(t)
	h := newHarness(t, t.TempDir())
	profile := t.TempDir()
	gw := mustUser(t, h, "wgy001")
	lat, lng := gridCentre(t, h.app.Service.Ref().Grids[gw.OrgID].Geometry)
	cat := pickCategory(t, h, true)
	desc := "巡查发现：春园路排水口堵塞（关机前离线上报）"
	start := time.Now()

	b, stop := newBrowserWith(t, h, chromedp.UserDataDir(profile))
	b.login("wgy001", "yiwang-demo")
	b.fieldReady(lat, lng)
	b.setOffline(true)
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#field-form")))
	b.do(
		chromedp.SendKeys(chromedp.CSS("#description"), desc),
		chromedp.SendKeys(chromedp.CSS("#lat"), strconv.FormatFloat(lat, 'f', 6, 64)),
		chromedp.SendKeys(chromedp.CSS("#lng"), strconv.FormatFloat(lng, 'f', 6, 64)),
	)
	b.eval(fmt.Sprintf(`(() => { document.getElementById('category').value = '%d'; return true; })()`, cat.ID))
	b.do(chromedp.Click(chromedp.CSS("#field-submit")))
	b.waitJS("the report in the outbox", `document.getElementById('field-app').getAttribute('data-outbox') === '1'`, 10*time.Second)
	key, observed := b.queuedItem()
	b.shot("field-restart-queued")
	stop() // the browser closes, still offline
	if n := len(casesWith(t, h, desc)); n != 0 {
		t.Fatalf("%d cases before the restart", n)
	}

	b, stop = newBrowserWith(t, h, chromedp.UserDataDir(profile))
	defer stop()
	b.do(chromedp.Navigate(h.srv.URL + "/work/field"))
	b.do(chromedp.WaitReady(chromedp.CSS("footer")))
	relogin := strings.Contains(b.location(), "/login")
	t.Logf("after the restart the session cookie was gone: %v", relogin)
	if relogin {
		b.do(
			chromedp.SendKeys(chromedp.CSS("#username"), "wgy001"),
			chromedp.SendKeys(chromedp.CSS("#password"), "yiwang-demo"),
		)
		b.clickAndLoad("#login-submit")
		if !strings.HasSuffix(b.location(), "/work/field") {
			b.open("/work/field", "#field-form")
		}
	}
	b.do(chromedp.WaitVisible(chromedp.CSS("#field-form")))
	b.waitJS("the outbox to empty", `document.getElementById('field-app').getAttribute('data-outbox') === '0'`, 30*time.Second)
	b.shot("field-restart-synced")
	// Give a second send, if there were one, time to land.
	time.Sleep(time.Second)
	cs := casesWith(t, h, desc)
	if len(cs) != 1 {
		t.Fatalf("%d cases of the report queued before the restart, want 1", len(cs))
	}
	_, tl, err := h.app.Service.Case(context.Background(), gw, cs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := time.Parse(time.RFC3339Nano, observed)
	if got := service.ObservedAt(tl[0]); !got.Equal(want) {
		t.Fatalf("observed %v, want %v", got, want)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM cases WHERE idem_key = ?`, fmt.Sprintf("user:%d:field:%s", gw.ID, key)); n != 1 {
		t.Fatalf("%d cases under the item's key", n)
	}
	t.Logf("restart test %.1f s", time.Since(start).Seconds())
}
