/* SPDX-License-Identifier: MIT */
/**
 * @file pcm.h  PCM chunk writer and manifest (docs/design.md §5).
 *
 * Layout under the meeting folder MDIR:
 *
 *     MDIR/manifest.jsonl                 one line per durable chunk
 *     MDIR/streams/STREAM-ID/000000.wav   16-bit PCM chunks, 000001.wav, ...
 *
 * A chunk is written as NNNNNN.wav.tmp: a RIFF/WAVE file whose "fmt " chunk
 * is followed by a "vpbt" chunk (the chunk's metadata as JSON: stream, seq,
 * start_sample, rate, channels, start_utc, start_utc_ns, utc_source) and then
 * the "data" chunk. Nothing is fsync'd when the file is created: after a
 * process crash the page cache still holds the .tmp, which vp_pcm_recover()
 * finishes; a machine crash may lose the chunk in progress. When the chunk
 * is full or the writer closes: sizes patched, fsync, rename to NNNNNN.wav
 * (never over an existing file), fsync folder, manifest line appended with
 * one write() and fsync'd. So every file named in the manifest is complete.
 *
 * Manifest line keys (never renamed; more may be added):
 *   stream, file (relative to MDIR), seq, start_sample, samples, rate,
 *   channels, start_utc (RFC 3339 UTC, µs), start_utc_ns, utc_source
 *   ("rtcp_sr" | "arrival"), lost, fec, plc, dtx, dtx_samples, gated,
 *   gap_samples, overlap_samples, bytes (the whole file's size), recovered.
 *
 * Threading: everything here runs on the io thread and blocks on disk.
 * One manifest per meeting, shared by that meeting's writers (same thread).
 * The gate is checked before audio reaches this module (src/bot/track).
 */
#ifndef VP_MEDIA_PCM_H
#define VP_MEDIA_PCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Longest stream id accepted. */
#define VP_PCM_ID_MAX 64

struct vp_pcm_manifest;
struct vp_pcm_writer;

/** Source of a chunk's start_utc; zero is the weaker claim. */
enum vp_pcm_utc_src {
	VP_PCM_UTC_ARRIVAL = 0, /**< "arrival" */
	VP_PCM_UTC_RTCP_SR,	/**< "rtcp_sr" */
};

/** Counters added to the current chunk's manifest line by a write. */
struct vp_pcm_counts {
	uint32_t lost;	      /**< packets lost (concealed) */
	uint32_t fec;	      /**< frames recovered by in-band FEC */
	uint32_t plc;	      /**< frames concealed by PLC */
	uint32_t dtx;	      /**< DTX frames filled with silence */
	uint64_t dtx_samples; /**< samples of that DTX silence */
	uint32_t gated;	      /**< frames dropped because the gate was closed */
};

/** Writer configuration; copied by vp_pcm_writer_alloc(). */
struct vp_pcm_writer_cfg {
	const char *stream_id;	/**< bot-made id, see vp_pcm_stream_id_valid */
	uint32_t rate;		/**< samples per second (> 0) */
	uint16_t channels;	/**< 1 or 2 */
	uint32_t chunk_samples; /**< frames per chunk; 0 means 10 s x rate */
	uint32_t first_seq;	/**< seq of the first chunk (see next_seq) */
};

/**
 * Open (create if missing) MDIR/manifest.jsonl for appending. A new file's
 * folder entry is fsync'd. An existing file that does not end in a
 * newline (a line torn by a full disk or a crash) is mended first: the
 * torn part is cut off, or, if it parses as a whole line, ended.
 * @param mp    out: the manifest (vp_mem object)
 * @param mdir  the meeting folder; must exist
 * @return 0, EINVAL, ENOMEM, or the errno of open/fsync (ENOENT, EACCES...)
 */
int vp_pcm_manifest_open(struct vp_pcm_manifest **mp, const char *mdir);

/**
 * A stream id is safe as a folder name: 1..VP_PCM_ID_MAX characters of
 * [A-Za-z0-9._-], not starting with '.' (so no "..", no '/', no hidden file).
 */
bool vp_pcm_stream_id_valid(const char *id);

/**
 * Make a writer for one stream. Creates MDIR/streams/ID/ (fsyncing the
 * parents); no chunk file is created before the first write.
 * @param wp   out: the writer (vp_mem object; holds a ref on @p m)
 * @param m    the meeting's manifest
 * @param cfg  configuration
 * @return 0, EINVAL (bad id, rate, channels), ENOMEM, or a mkdir/fsync errno
 */
int vp_pcm_writer_alloc(struct vp_pcm_writer **wp, struct vp_pcm_manifest *m,
			const struct vp_pcm_writer_cfg *cfg);

/**
 * Append PCM that starts at timeline sample @p start_sample.
 *
 * The stream's first write fixes its first sample; chunks split at exact
 * multiples of chunk_samples from there, so chunk n+1 starts where chunk n
 * ended. A write that starts after the previous end is preceded by zeros
 * (counted as gap_samples); one that starts before it loses its overlapping
 * samples (counted as overlap_samples). Contiguity is never broken.
 * @p delta is added to the chunk in progress (the one that holds the first
 * sample after the previous end).
 *
 * @param w             writer
 * @param start_sample  timeline sample of pcm[0]
 * @param pcm           interleaved 16-bit samples, frames x channels
 * @param frames        frames in @p pcm (0 is fine: counts only)
 * @param utc_ns        UTC ns of pcm[0] (gives chunk start_utc)
 * @param src           where @p utc_ns came from
 * @param delta         counters to add (optional)
 * @return 0, EINVAL, EALREADY (closed), EEXIST (the chunk's .wav or .tmp
 *         already exists: run vp_pcm_recover / use next_seq), or the errno of
 *         a failed write/fsync/rename (ENOSPC, EIO...). After an I/O error
 *         the writer stays failed: every later call returns the same error,
 *         and the chunk in progress is left as .tmp for vp_pcm_recover().
 */
int vp_pcm_writer_write(struct vp_pcm_writer *w, uint64_t start_sample,
			const int16_t *pcm, size_t frames, uint64_t utc_ns,
			enum vp_pcm_utc_src src,
			const struct vp_pcm_counts *delta);

/**
 * Finish the chunk in progress (a partial chunk is fine; an empty one makes
 * no file and no line) with the same durability steps. Later writes return
 * EALREADY. Dropping the last reference without close leaves the chunk in
 * progress as .tmp, exactly as a crash would.
 * @return 0, EINVAL, EALREADY (closed twice), EEXIST, or an I/O errno
 */
int vp_pcm_writer_close(struct vp_pcm_writer *w);

/** @return the timeline sample after the last one written (0 before any) */
uint64_t vp_pcm_writer_end(const struct vp_pcm_writer *w);
/** The number the writer's next chunk would take: a new writer for the
 *  same stream in this run continues from it without reading the folder. */
uint32_t vp_pcm_writer_next_seq(const struct vp_pcm_writer *w);

/** Called once per stream id found by vp_pcm_manifest_scan(). */
typedef void(vp_pcm_scan_h)(const char *stream_id, uint32_t next_seq,
			    void *arg);

/**
 * Report, for each stream id already under MDIR (named in the manifest or
 * present as a folder in MDIR/streams), the first seq a new chunk may use:
 * one past the highest seq in the manifest or on disk (.wav, .wav.tmp,
 * .wav.corrupt). Unparsable manifest lines (a torn last line) are skipped.
 * A missing manifest or streams folder counts as empty.
 * @return 0, EINVAL, ENOMEM, or the errno of reading
 */
int vp_pcm_manifest_scan(const char *mdir, vp_pcm_scan_h *h, void *arg);

/**
 * vp_pcm_manifest_scan() for one stream id.
 * @param seqp  out: next seq for @p stream_id (0 if it is unknown)
 * @return 0, EINVAL, ENOMEM, or the errno of reading
 */
int vp_pcm_next_seq(const char *mdir, const char *stream_id, uint32_t *seqp);

/**
 * Crash recovery; run before any writer of MDIR exists.
 *
 * Each MDIR/streams/ID/NNNNNN.wav.tmp with readable vpbt metadata gets its
 * RIFF and data sizes patched from the file length (a torn last frame is
 * truncated), is fsync'd, renamed to NNNNNN.wav (never over an existing
 * file) and gets a manifest line. A .wav that is complete but has no
 * manifest line (crash between rename and append) gets its line too.
 * Recovered lines carry "recovered": true; their counters (lost, fec, plc,
 * dtx, dtx_samples, gated, gap_samples, overlap_samples) are written as 0
 * because they were only in memory: 0 there means "unknown".
 * A .tmp without readable metadata is renamed to NNNNNN.wav.corrupt and
 * left in place (never deleted).
 *
 * @param mdir       the meeting folder
 * @param recovered  out (optional): files that got a recovered line
 * @return 0, EINVAL, ENOMEM, EEXIST (a target name was taken; the other
 *         files were still handled), or an I/O errno
 */
int vp_pcm_recover(const char *mdir, unsigned *recovered);

/** Largest chunk header written or read back (RIFF+fmt+vpbt+data). */
#define VP_PCM_HDR_MAX 1024

/**
 * The header of a chunk file, for tools that write chunk-shaped files
 * without a writer (tools/perf/floor_bench): RIFF, fmt (16-bit mono at
 * RATE), vpbt (STREAM, seq 0, sample 0, arrival time 0) and an empty data
 * chunk, in VP_PCM_HDR_MAX bytes at BUF; *lenp is its length, the offset
 * of the first sample. vp_pcm_chunk_sizes() then sets the RIFF and data
 * sizes once DATA_BYTES follow it in FD.
 * @return 0, ENOMEM, EINVAL (a bad stream id or rate); a write errno
 */
int vp_pcm_chunk_header(uint8_t *buf, size_t *lenp, const char *stream,
			uint32_t rate);
int vp_pcm_chunk_sizes(int fd, size_t hdr_len, uint64_t data_bytes);

#endif
