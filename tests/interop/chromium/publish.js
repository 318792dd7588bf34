// SPDX-License-Identifier: MIT
// publish.js  janus.js VideoRoom publisher driven by the page's query
// string. Progress goes to console.log as "VPI-..." lines, which the driver
// (chromium_publish.sh) reads from Chromium's stderr:
//   VPI-START <utc ns>   webrtcup: media flows to Janus
//   VPI-END <utc ns>     media stopped (unpublish sent)
//   VPI-DONE             left cleanly;  VPI-ERROR <why> on any failure
"use strict";

(function () {
	const q = new URLSearchParams(location.search);
	const room = parseInt(q.get("room") || "1234", 10);
	const display = q.get("display") || "chromium";
	const dur = parseFloat(q.get("dur") || "8");
	const server = q.get("server") || "ws://127.0.0.1:8188";
	const nowNs = () => String(BigInt(Math.round(
		(performance.timeOrigin + performance.now()) * 1000)) * 1000n);
	const say = (m) => console.log("VPI-" + m);
	let janus = null, handle = null, started = false;

	function fail(why) {
		say("ERROR " + why);
		if (janus)
			janus.destroy();
	}

	function finish() {
		say("END " + nowNs());
		handle.send({ message: { request: "unpublish" }, success: () => {
			handle.send({ message: { request: "leave" }, success: () => {
				janus.destroy({ success: () => say("DONE") });
			}, error: fail });
		}, error: fail });
	}

	function publish() {
		handle.createOffer({
			tracks: [{ type: "audio", capture: {
				echoCancellation: false, noiseSuppression: false,
				autoGainControl: false }, recv: false }],
			success: (jsep) => handle.send({
				message: { request: "publish", audio: true,
					   video: false, audiocodec: "opus" },
				jsep: jsep, error: fail }),
			error: (e) => fail("createOffer " + JSON.stringify(e)),
		});
	}

	function attached(h) {
		handle = h;
		handle.send({ message: { request: "join", ptype: "publisher",
					 room: room, display: display },
			      error: fail });
	}

	function onmessage(msg, jsep) {
		if (msg.error)
			return fail("plugin " + msg.error);
		if (msg.videoroom === "joined")
			publish();
		if (jsep)
			handle.handleRemoteJsep({ jsep: jsep });
	}

	function webrtcState(up) {
		if (!up || started)
			return;
		started = true;
		say("START " + nowNs());
		setTimeout(finish, dur * 1000);
	}

	Janus.init({ debug: false, callback: () => {
		janus = new Janus({ server: server,
			success: () => janus.attach({
				plugin: "janus.plugin.videoroom",
				success: attached,
				error: (e) => fail("attach " + e),
				onmessage: onmessage,
				webrtcState: webrtcState }),
			error: (e) => fail("session " + e) });
	} });
	setTimeout(() => { if (!started) fail("no webrtcup in 20 s"); }, 20000);
})();
