/* SPDX-License-Identifier: MIT */
/**
 * @file export.h  Tools for a meeting folder after the call (docs/design.md
 * §5): `vpbot export` joins chunks into one WAV, `vpbot verify` checks that the
 * folder is what the manifest says it is. Both only read the folder.
 */
#ifndef VP_BOT_EXPORT_H
#define VP_BOT_EXPORT_H

/**
 * `vpbot export MDIR [--stream S] --wav FILE`: one stream's chunks, or every
 * stream mixed, as one 16-bit WAV starting at the meeting's sample 0, with
 * silence wherever nothing was recorded (gate closed, stream absent).
 * @param argc  arguments after the program name ("export" is argv[0])
 * @return a sysexits(3) code: 0, 64 (usage), 65 (folder not usable),
 *         66 (no such folder), 73 (cannot create FILE)
 */
int vp_export_main(int argc, char **argv);

/**
 * `vpbot verify MDIR`: prints one line per problem ("problem: ...") and per
 * warning ("warning: ..."), then a summary.
 * @return 0 (no problem; warnings allowed), 65 (problems found),
 *         66 (no such folder) or 64 (usage)
 */
int vp_verify_main(int argc, char **argv);

#endif
