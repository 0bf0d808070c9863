"""楼盘表 (house e-map): a building's houses as floors × units × rooms, each with its status."""
