"""Window registration (窗口登记): a street-hall clerk registers or corrects a resident from the
ID card in front of them, through the same write path as a device's upload."""
