package mask

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestText masks what 12345 callers actually type, and leaves what only
// looks like it: dates, amounts, house numbers, receipt and order codes.
func TestText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		// Mobiles.
		{"mobile", "电话13812345678，请尽快处理", "电话138****5678，请尽快处理"},
		{"mobile spaced", "手机 138 1234 5678 随时联系", "手机 138 **** 5678 随时联系"},
		{"mobile dashed", "联系方式：139-0731-8888", "联系方式：139-****-8888"},
		{"mobile +86", "+86 138 1234 5678", "+86 138 **** 5678"},
		{"mobile +86 glued", "+8613812345678", "+86138****5678"},
		{"mobile 0086", "0086-13812345678", "0086-138****5678"},
		{"mobile full-width", "电话１３８１２３４５６７８", "电话１３８****５６７８"},
		{"mobile at end", "有事打19912345678", "有事打199****5678"},
		{"two mobiles", "13812345678或15011112222", "138****5678或150****2222"},
		// Landlines.
		{"landline 4-digit area", "座机0738-8312345", "座机0738-*****45"},
		{"landline 3-digit area", "打010-12345678", "打010-******78"},
		{"landline brackets", "电话（0738）8312345", "电话（0738）*****45"},
		{"landline glued", "电话07388312345", "电话0738*****45"},
		// ID cards.
		{"id card", "身份证号430102199001011234，", "身份证号430*************34，"},
		{"id card X", "身份证43010219900101123X", "身份证430*************3X"},
		{"id card x lower", "身份证号码：43010219900101123x。", "身份证号码：430*************3x。"},
		// Bank cards.
		{"bank card 19", "工资卡6222021234567890128被扣款", "工资卡***************0128被扣款"},
		{"bank card 16 grouped", "卡号 6228 4800 1234 5671", "卡号 **** **** **** 5671"},
		// Plates.
		{"plate", "车牌湘K12345乱停", "车牌湘K****5乱停"},
		{"plate new energy", "湘KD12345占用消防通道", "湘K*****5占用消防通道"},
		{"plate dot", "粤B·12345", "粤B·****5"},
		{"plate lower case", "湘k1234a", "湘k****a"},
		// E-mail.
		{"email", "邮箱liu.xm@example.cn回复", "邮箱l*****@example.cn回复"},
		{"email one letter", "x@qq.com", "*@qq.com"},
		{"email of digits", "13812345678@163.com", "1**********@163.com"},
		// Names.
		{"my name is", "我叫张三丰，电话13812345678，车牌湘K12345", "我叫张**，电话138****5678，车牌湘K****5"},
		{"my name is, end word", "我叫李四电话不方便留", "我叫李*电话不方便留"},
		{"contact", "联系人：王小明", "联系人：王**"},
		{"contact no colon", "联系人刘梅 电话", "联系人刘* 电话"},
		{"name field", "姓名：欧阳娜娜。", "姓名：欧阳**。"},
		{"I am", "我是陈建国。", "我是陈**。"},
		{"title with full name", "请张三丰先生到场", "请张**先生到场"},
		{"title after lead", "物业的王小明师傅说", "物业的王**师傅说"},
		{"title two-character name", "李明老师反映", "李*老师反映"},
		{"family name only", "张先生反映，李师傅说，王老师，赵女士", "张先生反映，李师傅说，王老师，赵女士"},
		{"surname then given", "本人姓刘名德华，", "本人姓刘名**，"},
		// Negatives: nothing to hide.
		{"date", "2026-05-01 14:30 发现", "2026-05-01 14:30 发现"},
		{"date chinese", "2026年5月1日起", "2026年5月1日起"},
		{"amount", "被收费1380元，押金13800.50元", "被收费1380元，押金13800.50元"},
		{"road number", "人民路188号门口", "人民路188号门口"},
		{"road number long", "乐坪大道18号3栋2单元1201室", "乐坪大道18号3栋2单元1201室"},
		{"hotline", "打12345没人接，打110也没人", "打12345没人接，打110也没人"},
		{"receipt code", "回执码 A13812345678 查询", "回执码 A13812345678 查询"},
		{"receipt code digits", "回执码7K3M9QZ2X4AB", "回执码7K3M9QZ2X4AB"},
		{"order number", "工单号2026120800012345", "工单号2026120800012345"},
		{"twelve digits", "编号138123456789", "编号138123456789"},
		{"mobile inside longer", "1381234567890", "1381234567890"},
		{"not a birth date", "编号430102199013011234", "编号430102199013011234"},
		{"I am an owner", "我是本小区业主，我是党员，我是邵阳人", "我是本小区业主，我是党员，我是邵阳人"},
		{"I am two-character", "我是业主。我是程序员。", "我是业主。我是程序员。"},
		{"ordinary titles", "修车师傅、电工师傅、班主任老师、一位老先生", "修车师傅、电工师傅、班主任老师、一位老先生"},
		{"first of all", "首先生活垃圾要分类", "首先生活垃圾要分类"},
		{"province words", "京津冀协同，湘江风光带，粤港澳", "京津冀协同，湘江风光带，粤港澳"},
		{"plate too long", "湘K1234567", "湘K1234567"},
		{"plate letters only", "湘KABCDE", "湘KABCDE"},
		{"at sign alone", "价格@5元", "价格@5元"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Errorf("Text(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if got := Text(tc.want); got != tc.want {
				t.Errorf("not idempotent: Text(%q) = %q", tc.want, got)
			}
		})
	}
}

func TestAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"人民路188号", "人民路"},
		{"娄星区乐坪大道18号3栋2单元", "娄星区乐坪大道"},
		{"湖南省娄底市娄星区乐坪街道长青街12号", "湖南省娄底市娄星区乐坪街道长青街"},
		{"春园小区5栋302", "春园小区"},
		{"东风巷3号", "东风巷"},
		{"人民路与解放街交叉口", "人民路"},
		{"邮政局门口", "邮政局门口"},
		{"万豪城二期7栋", "万豪城二期"},
		{"18号", ""},
		{"  ", ""},
		{"", ""},
		{"杉山村张三丰家门口", "杉山村张三丰家门口"},
		{"联系人：王小明", "联系人：王**"},
	} {
		if got := Address(tc.in); got != tc.want {
			t.Errorf("Address(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Address(Address(tc.in)); got != Address(tc.in) {
			t.Errorf("Address not idempotent on %q: %q", tc.in, got)
		}
	}
}

// FuzzText: no panic, never longer than the input (in bytes and in
// characters), idempotent, and what is not hidden is the input unchanged.
func FuzzText(f *testing.F) {
	for _, s := range []string{"我叫张三丰，电话13812345678，车牌湘K12345", "+86 138 1234 5678", "0738-8312345", "430102199001011234",
		"6222021234567890128", "a@b.cn", "张三丰先生", "姓刘名德华", "人民路188号", "１３８１２３４５６７８", "湘KD12345", "\xff\xfe13812345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := Text(s)
		if len(m) > len(s) {
			t.Fatalf("Text(%q) = %q is longer", s, m)
		}
		if utf8.ValidString(s) {
			in, out := []rune(s), []rune(m)
			if len(in) != len(out) {
				t.Fatalf("Text(%q) = %q changed the length in characters", s, m)
			}
			for i := range in {
				if out[i] != in[i] && out[i] != Star {
					t.Fatalf("Text(%q) = %q changed %q at %d to something other than a star", s, m, in[i], i)
				}
			}
		}
		if m2 := Text(m); m2 != m {
			t.Fatalf("not idempotent: %q → %q → %q", s, m, m2)
		}
		a := Address(s)
		if len(a) > len(s) {
			t.Fatalf("Address(%q) = %q is longer", s, a)
		}
		if a2 := Address(a); a2 != a {
			t.Fatalf("Address not idempotent: %q → %q → %q", s, a, a2)
		}
		_ = strings.Count(m, "*")
	})
}

// BenchmarkText measures a long description (the 2,000-character limit).
func BenchmarkText(b *testing.B) {
	s := strings.Repeat("我叫张三丰，电话13812345678，车牌湘K12345，人民路188号门口井盖丢了。", 50)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Text(s)
	}
}

// TestCueStarts: the quick filter names uses lists the first character of
// every cue and title.
func TestCueStarts(t *testing.T) {
	var all []string
	for _, c := range cues {
		all = append(all, c.text)
	}
	all = append(append(all, titles...), "姓")
	for _, w := range all {
		r, _ := utf8.DecodeRuneInString(w)
		if !strings.ContainsRune(cueStarts, r) {
			t.Errorf("cueStarts lacks %q (of %q)", r, w)
		}
	}
}
