package service

import (
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

func TestChineseNumerals(t *testing.T) {
	for in, want := range map[string]string{
		"春园路十二号":     "春园路12号",
		"春园路一百零五号":   "春园路105号",
		"建设巷二〇八号":    "建设巷208号",
		"三栋二单元十一楼":   "3栋2单元11楼",
		"两千号":        "2000号",
		"五一路":        "五一路", // a name, not a number
		"三里桥十号":      "三里桥10号",
		"石井村三组":      "石井村3组",
		"九十九中学":      "九十九中学",
		"乐坪大道一百二十八号": "乐坪大道128号",
	} {
		if got := chineseNumerals(in); got != want {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
}

func TestNormalizeAddress(t *testing.T) {
	prefixes := []string{"湖南省", "湖南", "娄底市", "娄底", "娄星区"}
	for in, want := range map[string]string{
		"湖南省娄底市娄星区乐坪大道１２号": "乐坪大道12号",
		" 乐坪大道，12 号（北门）":   "乐坪大道12号北门",
		"娄底市 春园路 ABC":      "春园路abc",
		"娄星区":              "娄星区", // never stripped to nothing
	} {
		if got := normalizeAddress(in, prefixes); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

func TestSearchAddressesRanking(t *testing.T) {
	as := []store.Address{
		{ID: 1, Text: "乐坪街道新星社区乐坪大道12号"},
		{ID: 2, Text: "乐坪街道新星社区乐坪大道112号"},
		{ID: 3, Text: "乐坪街道新星社区乐坪大道12号附1栋"},
		{ID: 4, Text: "花山街道东风社区花山路12号"},
		{ID: 5, Text: "乐坪街道月塘社区春园路3号", Alias: "春园小学"},
	}
	ref := &Reference{Root: model.OrgUnit{Name: "娄星区"}}
	ref.addrs = newAddressSet(as, ref.addressPrefixes())
	first := func(q string) int64 {
		hits := ref.SearchAddresses(q, 10)
		if len(hits) == 0 {
			return 0
		}
		return hits[0].ID
	}
	for q, want := range map[string]int64{
		"乐坪大道12号":    1,
		"乐坪大道十二号":    1,
		"乐坪大道112号":   2,
		"娄星区乐坪大道12号": 1,
		"花山路12号":     4,
		"春园小学":       5,
		"春园路3号":      5,
		"大道12号附1栋":   3,
	} {
		if got := first(q); got != want {
			t.Errorf("%s: first %d, want %d (%+v)", q, got, want, ref.SearchAddresses(q, 10))
		}
	}
	if hits := ref.SearchAddresses("火星基地", 10); len(hits) != 0 {
		t.Errorf("nonsense matched %+v", hits)
	}
	if hits := ref.SearchAddresses("坪", 10); len(hits) != 4 {
		t.Errorf("one character: %d hits", len(hits))
	}
}
