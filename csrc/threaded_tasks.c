/*
 * Entry points for the threaded build (edgeclass_simd_mt.wasm, shared memory): every thread
 * calls the same task function with its own index; chunks of work are handed out through an
 * atomic counter, so a thread that starts late (or never, see train/simd/simd_pool.ts) just
 * takes fewer chunks. Results of different chunks never overlap (dW goes by fixed slots, each
 * with its own partial, that sum_slots adds in slot order), so results do not depend on which
 * thread ran which chunk.
 *
 * ctl[0]: next chunk; ctl[1 + t]: set to 1 once thread t has done a chunk.
 */
#include "conv2d_shape.h"

static int next_chunk(int* ctl) { return __atomic_fetch_add(&ctl[0], 1, __ATOMIC_SEQ_CST); }

static void mark_worked(int* ctl, int thread) {
  __atomic_store_n(&ctl[1 + thread], 1, __ATOMIC_SEQ_CST);
}

/* dW partial of slot s (a fixed range of `slot_positions` output positions) at
 * parts + s*part_floats. Threads claim whole slots, and sum_slots adds the slots in index
 * order, so the sum is the same whichever thread ran which slot (bit-reproducible). */
EXPORT("conv_dw_slot_task")
void conv_dw_slot_task(int* ctl, const float* x, const float* dy, float* parts, int part_floats,
                       int n, int h, int w, int cin, int oh, int ow, int cout, int kh, int kw,
                       int sh, int sw, int pad_top, int pad_left, float* scratch,
                       int scratch_floats, int slot_positions, int thread) {
  const conv_shape g = {n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left};
  const int big_p = n * oh * ow;
  const int slots = (big_p + slot_positions - 1) / slot_positions;
  float* s = scratch + thread * scratch_floats;
  int done = 0;
  for (int c = next_chunk(ctl); c < slots; c = next_chunk(ctl)) {
    conv_dw_range(&g, x, dy, parts + c * part_floats, c * slot_positions,
                  min_i(big_p, (c + 1) * slot_positions), 0, kh * kw * cin, 0, s);
    done = 1;
  }
  if (done) mark_worked(ctl, thread);
}

/* dW by chunks of `rows` filter indices over all output positions: for few positions (deep,
 * small layers) where splitting the reduction would leave threads idle. */
EXPORT("conv_dw_rows_task")
void conv_dw_rows_task(int* ctl, const float* x, const float* dy, float* dw, int n, int h, int w,
                       int cin, int oh, int ow, int cout, int kh, int kw, int sh, int sw,
                       int pad_top, int pad_left, float* scratch, int scratch_floats, int rows,
                       int thread) {
  const conv_shape g = {n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left};
  const int m = kh * kw * cin;
  const int chunks = (m + rows - 1) / rows;
  float* s = scratch + thread * scratch_floats;
  int done = 0;
  for (int c = next_chunk(ctl); c < chunks; c = next_chunk(ctl)) {
    conv_dw_range(&g, x, dy, dw, 0, n * oh * ow, c * rows, min_i(m, (c + 1) * rows), 0, s);
    done = 1;
  }
  if (done) mark_worked(ctl, thread);
}

/* Packs W^T for conv_dx_task into bp (conv2d_backprop_input_scratch_floats covers its size). */
EXPORT("conv_dx_pack")
void conv_dx_pack(const float* wt, float* bp, int cin, int cout, int kh, int kw) {
  const conv_shape g = {1, 1, 1, cin, 1, 1, cout, kh, kw, 1, 1, 0, 0};
  conv_dx_pack_w(&g, wt, bp);
}

EXPORT("conv_dx_task_scratch_floats")
int conv_dx_task_scratch_floats(int cin, int cout, int kh, int kw) {
  const conv_shape g = {1, 1, 1, cin, 1, 1, cout, kh, kw, 1, 1, 0, 0};
  return conv_dx_scratch_floats(&g);
}

/* dx for chunks of `images` whole images (so no two threads scatter into the same element). */
EXPORT("conv_dx_task")
void conv_dx_task(int* ctl, const float* dy, const float* bp, float* dx, int n, int h, int w,
                  int cin, int oh, int ow, int cout, int kh, int kw, int sh, int sw, int pad_top,
                  int pad_left, float* scratch, int scratch_floats, int images, int thread) {
  const conv_shape g = {n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left};
  const int chunks = (n + images - 1) / images;
  float* s = scratch + thread * scratch_floats;
  int done = 0;
  for (int c = next_chunk(ctl); c < chunks; c = next_chunk(ctl)) {
    const int b0 = c * images, b1 = min_i(n, b0 + images);
    __builtin_memset(dx + b0 * h * w * cin, 0, sizeof(float) * (b1 - b0) * h * w * cin);
    conv_dx_range(&g, dy, bp, dx, b0 * oh * ow, b1 * oh * ow, s);
    done = 1;
  }
  if (done) mark_worked(ctl, thread);
}

/* Packs W for conv_fwd_task into bp (conv_fwd_packed_floats floats). */
EXPORT("conv_fwd_pack")
void conv_fwd_pack(const float* wt, float* bp, int cin, int cout, int kh, int kw) {
  const conv_shape g = {1, 1, 1, cin, 1, 1, cout, kh, kw, 1, 1, 0, 0};
  conv_fwd_pack_w(&g, wt, bp);
}

EXPORT("conv_fwd_packed_floats")
int conv_fwd_packed_floats(int cin, int cout, int kh, int kw) {
  const conv_shape g = {1, 1, 1, cin, 1, 1, cout, kh, kw, 1, 1, 0, 0};
  return conv_fwd_packed_w_floats(&g);
}

EXPORT("conv_fwd_task_scratch_floats")
int conv_fwd_task_scratch_floats(void) { return conv_fwd_scratch_floats(); }

/* y for chunks of `chunk` output positions. */
EXPORT("conv_fwd_task")
void conv_fwd_task(int* ctl, const float* x, const float* bp, const float* bias, int relu,
                   float* y, int n, int h, int w, int cin, int oh, int ow, int cout, int kh,
                   int kw, int sh, int sw, int pad_top, int pad_left, float* scratch,
                   int scratch_floats, int chunk, int thread) {
  const conv_shape g = {n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left};
  const int big_p = n * oh * ow;
  const int chunks = (big_p + chunk - 1) / chunk;
  float* s = scratch + thread * scratch_floats;
  int done = 0;
  for (int c = next_chunk(ctl); c < chunks; c = next_chunk(ctl)) {
    conv_fwd_range(&g, x, bp, bias, relu, y, c * chunk, min_i(big_p, (c + 1) * chunk), s);
    done = 1;
  }
  if (done) mark_worked(ctl, thread);
}
