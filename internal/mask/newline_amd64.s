#include "textflag.h"

// func newlineMasksVec(b []byte, masks []uint64)
//
// For each 64 bytes of b, four 16-byte compares with '\n' and their byte
// masks, joined into one word of masks.
TEXT ·newlineMasksVec(SB), NOSPLIT, $0-48
	MOVQ b_base+0(FP), SI
	MOVQ masks_base+24(FP), DI
	MOVQ masks_len+32(FP), CX
	MOVQ $0x0a0a0a0a0a0a0a0a, AX
	MOVQ AX, X0
	PUNPCKLQDQ X0, X0
	TESTQ CX, CX
	JZ done

loop:
	MOVOU 0(SI), X1
	MOVOU 16(SI), X2
	MOVOU 32(SI), X3
	MOVOU 48(SI), X4
	PCMPEQB X0, X1
	PCMPEQB X0, X2
	PCMPEQB X0, X3
	PCMPEQB X0, X4
	PMOVMSKB X1, AX
	PMOVMSKB X2, BX
	PMOVMSKB X3, DX
	PMOVMSKB X4, R8
	SHLQ $16, BX
	SHLQ $32, DX
	SHLQ $48, R8
	ORQ BX, AX
	ORQ DX, AX
	ORQ R8, AX
	MOVQ AX, 0(DI)
	ADDQ $64, SI
	ADDQ $8, DI
	DECQ CX
	JNZ loop

done:
	RET
