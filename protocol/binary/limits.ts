/** Largest value of a u8 field. */
export const U8_MAX = 0xff;
/** Largest value of a u16 field. */
export const U16_MAX = 0xffff;
/** Largest value of a u32 field. */
export const U32_MAX = 0xffff_ffff;
/** Largest value of a u53 field (8 bytes on the wire): Number.MAX_SAFE_INTEGER. */
export const U53_MAX = Number.MAX_SAFE_INTEGER;
/** 2^32, the weight of the high word of a u53. */
export const U32_RANGE = 0x1_0000_0000;
/** Largest valid high word of a u53: floor(U53_MAX / 2^32). */
export const U53_HIGH_MAX = 0x1f_ffff;
