/*
 * Geometry of one NHWC convolution and the range functions of conv2d_backprop.c, shared with
 * the threaded entry points.
 */
#ifndef EDGECLASS_CONV2D_SHAPE_H
#define EDGECLASS_CONV2D_SHAPE_H

#include "simd.h"

typedef struct {
  int n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left;
} conv_shape;

void window_origins(const conv_shape* g, int p0, int np, int* ih0, int* iw0, int* base);

/* dst[0..len) = col[p, q0..q0+len) for the output position with window corner (ih0, iw0) in
 * the image at offset base (zeros for padding). */
void col_row(const conv_shape* g, const float* x, int ih0, int iw0, int base, int q0, int len,
             float* dst);
/* The transpose: dx[col position of (p, q0 + k)] += src[k] for k < len, padding skipped. */
void col_row_add(const conv_shape* g, float* dx, int ih0, int iw0, int base, int q0, int len,
                 const float* src);

/* Rows [q_begin, q_end) of dW (+)= col^T dy over output positions [p_begin, p_end);
 * overwrites those rows unless accumulate. */
int conv_dw_scratch_floats(void);
void conv_dw_range(const conv_shape* g, const float* x, const float* dy, float* dw, int p_begin,
                   int p_end, int q_begin, int q_end, int accumulate, float* scratch);

/* dx += col2im(dy W^T) for output positions [p_begin, p_end), with W^T packed once by
 * conv_dx_pack_w. Ranges of whole images never write the same dx element. */
int conv_dx_packed_w_floats(const conv_shape* g);
int conv_dx_scratch_floats(const conv_shape* g);
void conv_dx_pack_w(const conv_shape* g, const float* wt, float* bp);
void conv_dx_range(const conv_shape* g, const float* dy, const float* bp, float* dx, int p_begin,
                   int p_end, float* scratch);

/* y = col W (+ bias) (ReLU) for output positions [p_begin, p_end), W packed by conv_fwd_pack_w. */
int conv_fwd_packed_w_floats(const conv_shape* g);
int conv_fwd_scratch_floats(void);
void conv_fwd_pack_w(const conv_shape* g, const float* wt, float* bp);
void conv_fwd_range(const conv_shape* g, const float* x, const float* bp, const float* bias,
                    int relu, float* y, int p_begin, int p_end, float* scratch);

#endif
